// The defaults of a FunctionSpec, and the refusal of what the server would
// accept and then silently mis-handle (colonies-protocol.md §3.8, §7).
import { ColoniesArgumentError } from './errors';
import type { FunctionSpec, FunctionSpecInput } from './types';

const CPU_RE = /^(\d+m)?$/;

/** Fills the defaults of a FunctionSpec and refuses what the server would silently mis-handle. */
export function completeSpec(spec: FunctionSpecInput, defaultColony: string | undefined): FunctionSpec {
  const c = spec.conditions ?? {};
  const colonyname = c.colonyname || defaultColony;
  if (!colonyname) throw new ColoniesArgumentError('submit: spec.conditions.colonyname is missing and the client has no default colony');
  if (!spec.funcname) throw new ColoniesArgumentError('submit: spec.funcname is required (e.g. "execute")');
  if (!c.executortype) throw new ColoniesArgumentError('submit: spec.conditions.executortype is required: it must equal the executors\' type exactly');
  const maxexectime = spec.maxexectime ?? -1;
  if (maxexectime === 0) {
    throw new ColoniesArgumentError('submit: maxexectime 0 makes the server fail the process about 1 s after assignment; use -1 for "no limit" or a number of seconds');
  }
  const cpu = c.cpu ?? '';
  if (!CPU_RE.test(cpu)) throw new ColoniesArgumentError(`submit: conditions.cpu must be "<n>m" millicores (e.g. "4000m"); the server reads ${JSON.stringify(cpu)} as 0m`);
  const nodes = c.nodes ?? 1;
  const processespernode = c.processespernode ?? 1;
  const processes = c.processes ?? 0;
  for (const [k, v] of [['nodes', nodes], ['processespernode', processespernode], ['processes', processes]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 127) throw new ColoniesArgumentError(`submit: conditions.${k} must be an integer 0–127 (larger values are never assigned), got ${v}`);
  }
  const out: FunctionSpec = {
    nodename: spec.nodename ?? '',
    funcname: spec.funcname,
    args: spec.args ?? [],
    kwargs: spec.kwargs ?? {},
    priority: spec.priority ?? 0,
    maxwaittime: spec.maxwaittime ?? -1,
    maxexectime,
    maxretries: spec.maxretries ?? 0,
    conditions: {
      colonyname,
      executornames: c.executornames ?? [],
      executortype: c.executortype,
      ...(c.locationname ? { locationname: c.locationname } : {}),
      dependencies: c.dependencies ?? [],
      nodes,
      cpu,
      processes,
      processespernode,
      mem: c.mem ?? '',
      storage: c.storage ?? '',
      gpu: { name: c.gpu?.name ?? '', mem: c.gpu?.mem ?? '', count: c.gpu?.count ?? 0, nodecount: c.gpu?.nodecount ?? 0 },
      walltime: c.walltime ?? 0,
    },
    label: spec.label ?? '',
    fs: { mount: spec.fs?.mount ?? '', snapshots: spec.fs?.snapshots ?? [], dirs: spec.fs?.dirs ?? [] },
    env: spec.env ?? {},
  };
  if (spec.channels && spec.channels.length > 0) out.channels = spec.channels;
  return out;
}
