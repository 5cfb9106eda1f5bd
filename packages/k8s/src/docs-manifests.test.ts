/**
 * The example manifests in docs/ (RBAC, claim, executor Deployment) are valid
 * against the upstream schema, and the Role grants exactly what the backend uses.
 */
import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '@pollinator/test-utils';

const docs = new URL('../../../docs/', import.meta.url);

function manifests(file: string): { apiVersion: string; kind: string; [key: string]: unknown }[] {
  return (loadAllYaml(readFileSync(new URL(file, docs), 'utf8')) as ({ apiVersion: string; kind: string } | null)[]).filter((entry) => entry !== null);
}

describe('docs manifests', () => {
  it.each(['kubernetes-rbac.yaml', 'kubernetes-executor.yaml'])('%s is valid', (file) => {
    const objects = manifests(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) expect(validateManifest(object), `${object.kind}`).toEqual([]);
  });

  it('grants jobs create/get/list/watch/delete, pods get/list/watch, pods/log get and persistentvolumeclaims get, nothing else', () => {
    const role = manifests('kubernetes-rbac.yaml').find((object) => object.kind === 'Role') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    const grants = role.rules.flatMap((rule) => rule.resources.map((resource) => `${rule.apiGroups.join('')}/${resource}: ${[...rule.verbs].sort().join(',')}`)).sort();
    expect(grants).toEqual(['/persistentvolumeclaims: get', '/pods/log: get', '/pods: get,list,watch', 'batch/jobs: create,delete,get,list,watch']);
  });
});
