/**
 * Request-body validation for the fake API server: the upstream OpenAPI schema
 * (through `kubernetes-models`, which validates with the official definitions)
 * plus the handful of semantic rules of the real API server that a Pollinator
 * backend could trip over (names, label values, restartPolicy of Job pods,
 * Indexed Jobs needing completions, unique container names, quantities,
 * requests ≤ limits). Anything else the real server checks (admission,
 * quotas, PodSecurity) is not checked here.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { KubeObject } from './store';

/* eslint-disable @typescript-eslint/no-explicit-any -- validating untyped JSON. */
export interface ValidationCause {
  field: string;
  message: string;
  reason: string;
}

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, new (data: any) => Validatable> = {
  namespaces: Namespace,
  pods: Pod,
  secrets: Secret,
  configmaps: ConfigMap,
  persistentvolumeclaims: PersistentVolumeClaim,
  services: Service,
  jobs: Job,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Parses a Kubernetes quantity into a number (cores, bytes, counts). */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = value.match(/^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/);
  if (!match) return Number.NaN;
  const base = Number(match[1]);
  const suffix = match[2] ?? '';
  const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  if (suffix in binary) return base * binary[suffix]!;
  if (suffix in decimal) return base * decimal[suffix]!;
  return base * 10 ** Number(suffix.slice(1));
}

function checkMetadata(metadata: any, causes: ValidationCause[], maxNameLength: number): void {
  const name = metadata?.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  } else if (!DNS_SUBDOMAIN.test(name) || name.length > maxNameLength) {
    causes.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": must be no more than ${maxNameLength} characters and consist of lower case alphanumeric characters, '-' or '.'`,
    });
  }
  for (const [key, value] of Object.entries<any>(metadata?.labels ?? {})) {
    if (!LABEL_NAME.test(key)) causes.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'` });
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      causes.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)` });
  }
}

function checkPodSpec(spec: any, path: string, causes: ValidationCause[], inJob: boolean): void {
  if (!spec) return;
  if (inJob && spec.restartPolicy !== 'Never' && spec.restartPolicy !== 'OnFailure') {
    causes.push({ field: `${path}.restartPolicy`, reason: 'FieldValueNotSupported', message: `Unsupported value: "${spec.restartPolicy ?? 'Always'}": supported values: "OnFailure", "Never"` });
  }
  const names = new Set<string>();
  const volumes = new Set<string>((spec.volumes ?? []).map((volume: any) => volume.name));
  const all = [...(spec.initContainers ?? []).map((c: any) => ['initContainers', c]), ...(spec.containers ?? []).map((c: any) => ['containers', c])];
  all.forEach(([kind, container]: [string, any], index: number) => {
    const field = `${path}.${kind}[${index}]`;
    if (!DNS_LABEL.test(container.name ?? '') || container.name.length > 63)
      causes.push({ field: `${field}.name`, reason: 'FieldValueInvalid', message: `Invalid value: "${container.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'` });
    if (names.has(container.name)) causes.push({ field: `${field}.name`, reason: 'FieldValueDuplicate', message: `Duplicate value: "${container.name}"` });
    names.add(container.name);
    if (!container.image) causes.push({ field: `${field}.image`, reason: 'FieldValueRequired', message: 'Required value' });
    for (const variable of container.env ?? []) {
      if (!ENV_NAME.test(variable.name ?? '')) causes.push({ field: `${field}.env[].name`, reason: 'FieldValueInvalid', message: `Invalid value: "${variable.name}": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit` });
    }
    for (const mount of container.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) causes.push({ field: `${field}.volumeMounts[].name`, reason: 'FieldValueNotFound', message: `Not found: "${mount.name}"` });
      if (!String(mount.mountPath ?? '').startsWith('/')) causes.push({ field: `${field}.volumeMounts[].mountPath`, reason: 'FieldValueInvalid', message: `Invalid value: "${mount.mountPath}": must be an absolute path` });
    }
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    for (const [kindOf, values] of [['requests', requests], ['limits', limits]] as const) {
      for (const [resource, quantity] of Object.entries<any>(values)) {
        if (typeof quantity !== 'number' && !QUANTITY.test(String(quantity)))
          causes.push({ field: `${field}.resources.${kindOf}[${resource}]`, reason: 'FieldValueInvalid', message: `Invalid value: "${quantity}": must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` });
      }
    }
    for (const [resource, request] of Object.entries<any>(requests)) {
      const limit = limits[resource];
      if (limit !== undefined && parseQuantity(request) > parseQuantity(limit))
        causes.push({ field: `${field}.resources.requests`, reason: 'FieldValueInvalid', message: `Invalid value: "${request}": must be less than or equal to ${resource} limit of ${limit}` });
      if (resource.includes('/') && !resource.startsWith('hugepages-') && limit !== undefined && parseQuantity(request) !== parseQuantity(limit))
        causes.push({ field: `${field}.resources.requests[${resource}]`, reason: 'FieldValueInvalid', message: `Invalid value: "${request}": must be equal to ${resource} limit of ${limit}` });
    }
  });
  if ((spec.containers ?? []).length === 0) causes.push({ field: `${path}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
  if (spec.activeDeadlineSeconds !== undefined && !(spec.activeDeadlineSeconds > 0 && spec.activeDeadlineSeconds <= 2147483647))
    causes.push({ field: `${path}.activeDeadlineSeconds`, reason: 'FieldValueInvalid', message: `Invalid value: ${spec.activeDeadlineSeconds}: must be between 1 and 2147483647, inclusive` });
}

function checkJob(body: any, causes: ValidationCause[]): void {
  const spec = body.spec ?? {};
  if (spec.completionMode === 'Indexed' && spec.completions == null)
    causes.push({ field: 'spec.completions', reason: 'FieldValueRequired', message: 'Required value: when completion mode is Indexed' });
  for (const field of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    if (spec[field] != null && spec[field] < 0)
      causes.push({ field: `spec.${field}`, reason: 'FieldValueInvalid', message: `Invalid value: ${spec[field]}: must be greater than or equal to 0` });
  }
  if (spec.activeDeadlineSeconds != null && !(spec.activeDeadlineSeconds > 0))
    causes.push({ field: 'spec.activeDeadlineSeconds', reason: 'FieldValueInvalid', message: `Invalid value: ${spec.activeDeadlineSeconds}: must be greater than 0` });
  if (!spec.template) causes.push({ field: 'spec.template', reason: 'FieldValueRequired', message: 'Required value' });
  for (const [key, value] of Object.entries<any>(spec.template?.metadata?.labels ?? {})) {
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value))
      causes.push({ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${String(value)}": label ${key} is not a valid label value` });
  }
  checkPodSpec(spec.template?.spec, 'spec.template.spec', causes, true);
}

const MANIFEST_MODELS: Record<string, new (data: any) => Validatable> = {
  'v1/Namespace': Namespace,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'batch/v1/Job': Job,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/**
 * Validates a manifest of one of the kinds above (e.g. the examples in
 * `docs/`) against the upstream schema; returns the problems (empty = valid).
 */
export function validateManifest(manifest: { apiVersion?: string; kind?: string }): string[] {
  const Model = MANIFEST_MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) return [`no schema for ${manifest.apiVersion}/${manifest.kind} in the fake`];
  try {
    new Model(manifest).validate();
    return [];
  } catch (error) {
    const problems = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
    return problems?.length ? problems.map((problem) => `${problem.instancePath || '/'}: ${problem.message}`) : [(error as Error).message];
  }
}

/** Validates a create/replace body; returns the problems (empty = valid). */
export function validateObject(resource: string, body: KubeObject): ValidationCause[] {
  const causes: ValidationCause[] = [];
  const Model = MODELS[resource];
  if (Model) {
    try {
      new Model(body).validate();
    } catch (error) {
      const problems = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
      if (problems?.length) {
        for (const problem of problems)
          causes.push({
            field: (problem.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || '<body>',
            reason: 'FieldValueInvalid',
            message: `schema: ${problem.message ?? 'invalid'}`,
          });
      } else causes.push({ field: '<body>', reason: 'FieldValueInvalid', message: `schema: ${(error as Error).message}` });
    }
  }
  checkMetadata(body.metadata, causes, resource === 'jobs' ? 63 : 253);
  if (resource === 'jobs') checkJob(body, causes);
  if (resource === 'pods') checkPodSpec(body.spec, 'spec', causes, false);
  return causes;
}
