/**
 * The HTTP face of the fake: the subset of the Kubernetes REST API that
 * `@kubernetes/client-node` and `kubectl --validate=false` use for Jobs and
 * Pods. JSON only (no protobuf, no tables, no server-side apply), no
 * authentication (any bearer token is accepted; RBAC rules are enforced only
 * when given), plain HTTP on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { FakeCluster } from './cluster';
import { RESOURCES, apiVersionOf, clone, matchesFieldSelector, matchesLabelSelector, type KubeObject, type ObjectStore, type StoreEvent } from './store';
import { exceededQuota } from './quota';
import { validateObject } from './validation';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are untyped JSON here. */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function send(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function qualifiedKind(resource: string): string {
  const info = RESOURCES[resource]!;
  return info.group ? `${resource}.${info.group}` : resource;
}

function notFound(resource: string, name: string): [number, Record<string, unknown>] {
  const info = RESOURCES[resource]!;
  return [404, statusBody(404, 'NotFound', `${qualifiedKind(resource)} "${name}" not found`, { name, group: info.group, kind: resource })];
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** One rule of an RBAC Role (`apiGroups`, `resources` incl. subresources like `pods/log`, `verbs`; `*` allowed). */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface ApiServerHooks {
  /** Streams currently following a pod log (to simulate dropped connections). */
  logStreams: Set<ServerResponse>;
  watchStreams: Set<ServerResponse>;
  requests: RecordedRequest[];
  /** When set, requests are authorised against these rules (403 Forbidden otherwise). */
  rbac?: { rules: PolicyRule[]; user: string };
  /** Every request refused by RBAC. */
  forbidden: RecordedRequest[];
}

/** The RBAC verb of a request, as the real authorizer derives it. */
function requestVerb(method: string, name: string | undefined, query: URLSearchParams): string {
  if (method === 'GET') return name ? 'get' : query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
  if (method === 'POST') return 'create';
  if (method === 'PUT') return 'update';
  if (method === 'PATCH') return 'patch';
  if (method === 'DELETE') return name ? 'delete' : 'deletecollection';
  return method.toLowerCase();
}

function allowed(rules: PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(group)) &&
      (rule.resources.includes('*') || rule.resources.includes(resource)) &&
      (rule.verbs.includes('*') || rule.verbs.includes(verb)),
  );
}

/** The selector and the template labels of a new Job carry its controller uid, as on a real server. */
function labelWithControllerUid(job: KubeObject): void {
  const uid = job.metadata.uid!;
  job.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  job.spec.template.metadata = {
    ...(job.spec.template.metadata ?? {}),
    labels: { ...(job.spec.template.metadata?.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': uid, 'job-name': job.metadata.name },
  };
}

/**
 * `?dryRun=`: absent → a real write; `All` → a dry run; anything else is
 * refused before any other processing, as the real API server does.
 */
function dryRunOf(query: URLSearchParams): boolean | [number, Record<string, unknown>] {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  const unsupported = values.find((value) => value !== 'All');
  if (unsupported === undefined) return true;
  return [400, statusBody(400, 'BadRequest', `Invalid dry run value: dryRun: Unsupported value: "${unsupported}": supported values: "All"`)];
}

export function createApiServer(store: ObjectStore, cluster: FakeCluster, hooks: ApiServerHooks): Server {
  const discovery = (): Record<string, unknown> => {
    const groups = ['batch'];
    const resourceList = (groupVersion: string): Record<string, unknown> => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: Object.values(RESOURCES)
        .filter((info) => apiVersionOf(info) === groupVersion)
        .map((info) => ({
          name: info.name,
          singularName: info.kind.toLowerCase(),
          namespaced: info.namespaced,
          kind: info.kind,
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        }))
        .concat(groupVersion === 'v1' ? [{ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] }] : []),
    });
    return {
      '/version': { major: '1', minor: '32', gitVersion: 'v1.32.0-pollinator-fake', platform: 'linux/amd64' },
      '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
      '/apis': {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((group) => ({ name: group, versions: [{ groupVersion: `${group}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${group}/v1`, version: 'v1' } })),
      },
      '/api/v1': resourceList('v1'),
      '/apis/batch/v1': resourceList('batch/v1'),
    };
  };

  /**
   * POST: validation, the namespace, AlreadyExists, then the defaulted object.
   * With `dryRun` (`?dryRun=All`) every check runs as for a real create and the
   * answer is the object that would be stored (name generated, uid and
   * creationTimestamp set, no resourceVersion), but nothing is stored, nothing
   * is watched and no controller sees it — as a real API server does.
   */
  function create(resource: string, namespace: string | undefined, body: any, dryRun: boolean): [number, unknown] {
    const info = RESOURCES[resource]!;
    if (resource === 'nodes' || resource === 'events') return [405, statusBody(405, 'MethodNotAllowed', `the fake does not create ${resource}`)];
    const metadata = { ...(body?.metadata ?? {}) };
    if (!metadata.name && metadata.generateName) metadata.name = `${metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    const object = { ...body, metadata } as KubeObject;
    if (info.namespaced) {
      if (metadata.namespace && metadata.namespace !== namespace)
        return [400, statusBody(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request')];
      metadata.namespace = namespace;
    }
    const causes = validateObject(resource, object);
    if (causes.length > 0) {
      const message = `${info.kind}${info.group ? `.${info.group}` : ''} "${metadata.name ?? ''}" is invalid: ${causes.map((cause) => `${cause.field}: ${cause.message}`).join(', ')}`;
      return [422, statusBody(422, 'Invalid', message, { name: metadata.name, group: info.group, kind: info.kind, causes })];
    }
    if (info.namespaced && !store.get('namespaces', undefined, namespace!))
      return [404, statusBody(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' })];
    if (store.get(resource, namespace, metadata.name))
      return [409, statusBody(409, 'AlreadyExists', `${qualifiedKind(resource)} "${metadata.name}" already exists`, { name: metadata.name, group: info.group, kind: resource })];
    const quota = info.namespaced ? exceededQuota(store, resource, namespace!, object) : undefined;
    if (quota) return [403, statusBody(403, 'Forbidden', `${qualifiedKind(resource)} "${metadata.name}" is forbidden: ${quota}`, { name: metadata.name, group: info.group, kind: resource })];
    const stored = clone(object);
    delete stored.metadata.resourceVersion;
    if (resource === 'namespaces') stored.status = { phase: 'Active' };
    if (resource === 'pods') stored.status = { phase: 'Pending' };
    if (resource === 'persistentvolumeclaims') stored.status = { phase: 'Bound', accessModes: stored.spec?.accessModes ?? [] };
    if (resource === 'jobs') {
      const spec = stored.spec ?? {};
      // As the real defaulting: both unset → 1 and 1; parallelism alone → a work queue (no completions).
      const completions = spec.completions ?? (spec.parallelism === undefined ? 1 : undefined);
      stored.spec = {
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        parallelism: 1,
        suspend: false,
        manualSelector: false,
        podReplacementPolicy: 'TerminatingOrFailed',
        ...spec,
        ...(completions === undefined ? {} : { completions }),
      };
      stored.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': '<set on create>' } };
      stored.status = {};
    }
    if (dryRun) {
      const preview = store.preview(resource, stored);
      if (resource === 'jobs') labelWithControllerUid(preview);
      return [201, preview];
    }
    const inserted = store.insert(resource, stored);
    if (resource === 'jobs') return [201, clone(store.update('jobs', namespace, inserted.metadata.name, labelWithControllerUid))];
    return [201, clone(inserted)];
  }

  function remove(resource: string, namespace: string | undefined, name: string, options: any, query: URLSearchParams): [number, unknown] {
    const existing = store.get(resource, namespace, name);
    if (!existing) return notFound(resource, name);
    const propagation: string =
      options?.propagationPolicy ??
      query.get('propagationPolicy') ??
      (options?.orphanDependents === false ? 'Background' : undefined) ??
      // batch/v1 Jobs orphan their pods by default (kept for compatibility by the real API server).
      (resource === 'jobs' ? 'Orphan' : 'Background');
    const graceRaw = options?.gracePeriodSeconds ?? query.get('gracePeriodSeconds');
    const grace = graceRaw === undefined || graceRaw === null ? undefined : Number(graceRaw);
    if (resource === 'jobs') {
      const result = cluster.deleteJob(namespace!, name, propagation);
      return [200, clone(result ?? existing)];
    }
    if (resource === 'pods') {
      const result = cluster.deletePod(namespace!, name, grace);
      return [200, clone(result ?? existing)];
    }
    if (resource === 'namespaces') {
      for (const [other, info] of Object.entries(RESOURCES)) {
        if (!info.namespaced) continue;
        for (const object of store.list(other, name)) {
          if (other === 'jobs') cluster.deleteJob(name, object.metadata.name, 'Background');
          else if (other === 'pods') cluster.deletePod(name, object.metadata.name, 0);
          else store.remove(other, name, object.metadata.name);
        }
      }
    }
    const removed = store.remove(resource, namespace, name)!;
    return [200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: RESOURCES[resource]!.group, kind: resource, uid: removed.metadata.uid } }];
  }

  function watch(request: IncomingMessage, response: ServerResponse, resource: string, namespace: string | undefined, query: URLSearchParams): void {
    const labelSelector = query.get('labelSelector');
    const fieldSelector = query.get('fieldSelector');
    const matches = (object: KubeObject): boolean =>
      (!namespace || object.metadata.namespace === namespace) &&
      matchesLabelSelector(object.metadata.labels, labelSelector) &&
      matchesFieldSelector(object, fieldSelector);
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const write = (type: string, object: unknown): void => {
      response.write(`${JSON.stringify({ type, object })}\n`);
    };
    const from = query.get('resourceVersion');
    let replay: StoreEvent[];
    if (!from || from === '0') {
      replay = store.list(resource, namespace, labelSelector, fieldSelector).map((object) => ({
        type: 'ADDED' as const,
        resource,
        object: clone(object),
        resourceVersion: Number(object.metadata.resourceVersion),
      }));
    } else {
      const events = store.eventsSince(Number(from));
      if (!events) {
        write('ERROR', statusBody(410, 'Expired', `too old resource version: ${from} (${store.resourceVersion})`));
        response.end();
        return;
      }
      replay = events.filter((event) => event.resource === resource && matches(event.object));
    }
    for (const event of replay) write(event.type, event.object);
    const unsubscribe = store.subscribe((event) => {
      if (event.resource === resource && matches(event.object)) write(event.type, event.object);
    });
    hooks.watchStreams.add(response);
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => response.end(), timeout * 1000) : undefined;
    const stop = (): void => {
      unsubscribe();
      hooks.watchStreams.delete(response);
      if (timer) clearTimeout(timer);
    };
    request.on('close', stop);
    response.on('close', stop);
  }

  function podLog(response: ServerResponse, namespace: string, name: string, query: URLSearchParams): void {
    const pod = store.get('pods', namespace, name);
    if (!pod) {
      const [code, body] = notFound('pods', name);
      return send(response, code, body);
    }
    const containers: any[] = pod.spec?.containers ?? [];
    let containerName = query.get('container');
    if (!containerName) {
      if (containers.length !== 1)
        return send(response, 400, statusBody(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`));
      containerName = containers[0].name as string;
    }
    if (!containers.some((container) => container.name === containerName))
      return send(response, 400, statusBody(400, 'BadRequest', `container ${containerName} is not valid for pod ${name}`));
    const log = cluster.logOf(pod, containerName);
    if (!log) {
      const waiting = (pod.status?.containerStatuses ?? []).find((status: any) => status.name === containerName)?.state?.waiting;
      return send(response, 400, statusBody(400, 'BadRequest', `container "${containerName}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`));
    }
    response.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    let data = Buffer.concat(log.chunks);
    const tailLines = query.get('tailLines');
    if (tailLines !== null) {
      const lines = data.toString('utf8').split(/(?<=\n)/);
      data = Buffer.from(lines.slice(Math.max(0, lines.length - Number(tailLines))).join(''));
    }
    let remaining = query.get('limitBytes') === null ? Number.POSITIVE_INFINITY : Number(query.get('limitBytes'));
    const emit = (chunk: Buffer): boolean => {
      if (remaining <= 0) return false;
      const piece = chunk.subarray(0, Math.min(chunk.length, remaining));
      remaining -= piece.length;
      if (piece.length > 0) response.write(piece);
      return remaining > 0;
    };
    if (!emit(data)) return void response.end();
    const follow = query.get('follow') === 'true' || query.get('follow') === '1';
    if (!follow || log.ended) return void response.end();
    hooks.logStreams.add(response);
    const stopFollowing = log.follow({
      write: (chunk) => {
        if (!emit(chunk)) response.end();
      },
      end: () => response.end(),
    });
    response.on('close', () => {
      stopFollowing();
      hooks.logStreams.delete(response);
    });
  }

  return createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://fake');
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      if (raw) {
        const type = request.headers['content-type'] ?? 'application/json';
        if (/json-patch\+json|apply-patch/.test(type))
          return send(response, 415, statusBody(415, 'UnsupportedMediaType', `the fake supports only merge patches, not ${type}`));
        if (!/json/.test(type))
          return send(response, 415, statusBody(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json (fake: no protobuf, no YAML)'));
        try {
          body = JSON.parse(raw);
        } catch {
          return send(response, 400, statusBody(400, 'BadRequest', 'the request body is not valid JSON'));
        }
      }
      hooks.requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body });
      const pages = discovery();
      if (request.method === 'GET' && url.pathname in pages) return send(response, 200, pages[url.pathname]);

      const match =
        url.pathname.match(/^\/api\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/) ??
        url.pathname.match(/^\/apis\/batch\/v1(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/);
      const resource = match?.[2];
      const info = resource ? RESOURCES[resource] : undefined;
      const isBatch = url.pathname.startsWith('/apis/batch/');
      if (!match || !info || (info.group === 'batch') !== isBatch)
        return send(response, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
      const namespace = info.namespaced ? match[1] : undefined;
      const name = match[3] ? decodeURIComponent(match[3]) : undefined;
      const subresource = match[4];
      const method = request.method ?? 'GET';
      const dryRun = method === 'GET' ? false : dryRunOf(url.searchParams);
      if (Array.isArray(dryRun)) return send(response, dryRun[0], dryRun[1]);

      if (hooks.rbac) {
        const verb = requestVerb(method, name, url.searchParams);
        const full = subresource ? `${resource}/${subresource}` : resource!;
        if (!allowed(hooks.rbac.rules, info.group, full, verb)) {
          hooks.forbidden.push(hooks.requests.at(-1)!);
          const target = `${qualifiedKind(resource!)}${name ? ` "${name}"` : ''}`;
          return send(
            response,
            403,
            statusBody(403, 'Forbidden', `${target} is forbidden: User "${hooks.rbac.user}" cannot ${verb} resource "${full}" in API group "${info.group}"${namespace ? ` in the namespace "${namespace}"` : ''}`, {
              ...(name ? { name } : {}),
              group: info.group,
              kind: resource,
            }),
          );
        }
      }

      if (subresource === 'log') {
        if (resource !== 'pods' || method !== 'GET' || !name) return send(response, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));
        return podLog(response, namespace!, name, url.searchParams);
      }
      if (subresource && subresource !== 'status') return send(response, 404, statusBody(404, 'NotFound', 'the server could not find the requested resource'));

      if (method === 'GET' && name) {
        const object = store.get(resource!, namespace, name);
        if (!object) {
          const [code, result] = notFound(resource!, name);
          return send(response, code, result);
        }
        return send(response, 200, object);
      }
      if (method === 'GET') {
        if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1')
          return watch(request, response, resource!, namespace, url.searchParams);
        const items = store.list(resource!, namespace, url.searchParams.get('labelSelector'), url.searchParams.get('fieldSelector'));
        return send(response, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: { resourceVersion: store.resourceVersion }, items });
      }
      if (method === 'POST' && !name) {
        const [code, result] = create(resource!, namespace, body, dryRun);
        return send(response, code, result);
      }
      if (method === 'DELETE' && dryRun) {
        // A dry-run delete: the object as it is (or 404), nothing removed, no pod terminated.
        const items = name ? [store.get(resource!, namespace, name)].filter(Boolean) : store.list(resource!, namespace, url.searchParams.get('labelSelector'), url.searchParams.get('fieldSelector'));
        if (name && items.length === 0) return send(response, ...notFound(resource!, name));
        return send(response, 200, name ? items[0] : { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: {}, items });
      }
      if (method === 'DELETE' && name) {
        const [code, result] = remove(resource!, namespace, name, body, url.searchParams);
        return send(response, code, result);
      }
      if (method === 'DELETE') {
        const items = store.list(resource!, namespace, url.searchParams.get('labelSelector'), url.searchParams.get('fieldSelector'));
        for (const item of items) remove(resource!, namespace, item.metadata.name, body, url.searchParams);
        return send(response, 200, { kind: `${info.kind}List`, apiVersion: apiVersionOf(info), metadata: {}, items });
      }
      if ((method === 'PUT' || method === 'PATCH') && name) {
        const current = store.get(resource!, namespace, name);
        if (!current) {
          const [code, result] = notFound(resource!, name);
          return send(response, code, result);
        }
        if (method === 'PUT' && body?.metadata?.resourceVersion && body.metadata.resourceVersion !== current.metadata.resourceVersion)
          return send(response, 409, statusBody(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedKind(resource!)} "${name}": the object has been modified; please apply your changes to the latest version and try again`));
        const next = method === 'PUT' ? { ...body } : mergePatch(clone(current), body);
        if (subresource === 'status') next.spec = current.spec;
        else if (resource === 'jobs' && JSON.stringify(next.spec?.template) !== JSON.stringify(current.spec?.template))
          return send(response, 422, statusBody(422, 'Invalid', `Job.batch "${name}" is invalid: spec.template: Invalid value: field is immutable`));
        const causes = validateObject(resource!, next);
        if (causes.length > 0)
          return send(response, 422, statusBody(422, 'Invalid', `${info.kind} "${name}" is invalid: ${causes.map((cause) => `${cause.field}: ${cause.message}`).join(', ')}`, { causes }));
        const apply = (object: KubeObject): void => {
          Object.assign(object, next, { metadata: { ...current.metadata, labels: next.metadata?.labels, annotations: next.metadata?.annotations } });
        };
        if (dryRun) {
          const preview = clone(current);
          apply(preview);
          return send(response, 200, preview);
        }
        return send(response, 200, store.update(resource!, namespace, name, apply));
      }
      return send(response, 405, statusBody(405, 'MethodNotAllowed', `the fake does not support ${method} ${url.pathname}`));
    } catch (error) {
      return send(response, 500, statusBody(500, 'InternalError', `fake API server: ${(error as Error).stack ?? String(error)}`));
    }
  });
}
