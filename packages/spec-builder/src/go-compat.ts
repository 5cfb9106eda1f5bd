import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';

// Go compatibility: the original Pollinator decodes project.yaml with
// gopkg.in/yaml.v2 into typed fields, so `projectname: 12345` is the string
// "12345", `init-cmd:` (empty) is "", and `rebuildImage: yes` is true (YAML
// 1.1). The `yaml` package reads YAML 1.2, so such scalars are converted the
// same way here before validation, and existing projects keep loading.

/** Fields Go decodes into a string. */
const STRING_FIELDS = new Set([
  'projectname',
  'conditions.executorType',
  'conditions.executorNames.*',
  'conditions.cpu',
  'conditions.mem',
  'conditions.gpu.name',
  'environment.docker',
  'environment.init-cmd',
  'environment.cmd',
  'environment.source',
  'slurm.account',
  'slurm.partition',
  'slurm.qos',
]);
/** String fields where an empty value means "" (Go's zero value) rather than "missing". */
const EMPTY_IS_BLANK = new Set(['conditions.gpu.name', 'environment.init-cmd', 'environment.source']);
const BOOLEAN_FIELDS = new Set(['environment.rebuildImage']);
const YAML11_BOOLEANS: Record<string, boolean> = { yes: true, y: true, on: true, no: false, n: false, off: false };

/**
 * Converts, in place, the scalars of `document` that Go would read
 * differently. Only the known fields are visited (at most three levels deep),
 * so the walk is bounded whatever else the file holds.
 */
export function coerceLikeGo(document: Document, text: string): void {
  const visit = (node: unknown, path: string[]) => {
    if (path.length > 3) return;
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const key = item.key.value;
        if (typeof key !== 'string' && typeof key !== 'number') continue;
        const childPath = [...path, String(key)];
        const pattern = childPath.join('.');
        if (item.value === null && EMPTY_IS_BLANK.has(pattern)) {
          item.value = document.createNode('');
          continue;
        }
        visit(item.value, childPath);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item, [...path, '*']);
    } else if (isScalar(node)) {
      const pattern = path.join('.');
      const raw = node.range === undefined || node.range === null ? undefined : text.slice(node.range[0], node.range[1]);
      if (STRING_FIELDS.has(pattern)) {
        if (node.value === null && EMPTY_IS_BLANK.has(pattern)) node.value = '';
        else if (node.type === 'PLAIN' && typeof node.value !== 'string' && node.value !== null && raw !== undefined) {
          node.value = raw.trim();
        }
      } else if (BOOLEAN_FIELDS.has(pattern) && typeof node.value === 'string' && node.type === 'PLAIN') {
        const value = YAML11_BOOLEANS[node.value.toLowerCase()];
        if (value !== undefined) node.value = value;
      }
    }
  };
  visit(document.contents, []);
}
