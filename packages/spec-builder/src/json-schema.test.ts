import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectJsonSchema, projectJsonSchemaText } from './json-schema';
import { SPEC_LIMITS } from './limits';

interface SchemaNode {
  $schema?: string;
  type?: string;
  description?: string;
  pattern?: string;
  maximum?: number;
  required?: string[];
  additionalProperties?: unknown;
  properties: Record<string, SchemaNode>;
}

const PACKAGE_DIR = join(import.meta.dirname, '..');

describe('project.schema.json', () => {
  it('is up to date with the zod schema (run `pnpm --filter @pollinator/spec-builder generate:schema`)', () => {
    expect(readFileSync(join(PACKAGE_DIR, 'project.schema.json'), 'utf8')).toBe(projectJsonSchemaText());
  });

  it('is exported as @pollinator/spec-builder/schema.json and published', () => {
    const packageJson = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
    expect(packageJson.exports['./schema.json']).toBe('./project.schema.json');
    expect(packageJson.files).toContain('project.schema.json');
  });

  it('describes the original keys, the resource patterns, and rejects unknown keys', () => {
    const schema = projectJsonSchema() as unknown as SchemaNode;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['projectname', 'conditions', 'environment']);
    const conditions = schema.properties.conditions!;
    expect(Object.keys(conditions.properties)).toEqual([
      'executorNames',
      'executorType',
      'nodes',
      'processesPerNode',
      'cpu',
      'mem',
      'walltime',
      'gpu',
    ]);
    expect(conditions.properties.cpu?.pattern).toBe('^[0-9]{2,}m$');
    expect(conditions.properties.mem?.pattern).toBe('^[0-9]+(Mi|Gi)$');
    expect(conditions.properties.nodes?.maximum).toBe(127);
    expect(Object.keys(schema.properties.environment!.properties)).toEqual([
      'docker',
      'rebuildImage',
      'init-cmd',
      'cmd',
      'source',
      'env',
      'stopSignal',
    ]);
    for (const key of Object.keys(schema.properties)) {
      expect(schema.properties[key]?.description).toBeTruthy();
    }
  });

  it('carries the upper bounds of every number and the one-line rule (issue #13, case 6)', () => {
    const schema = projectJsonSchema() as unknown as SchemaNode;
    const conditions = schema.properties.conditions!.properties;
    expect(conditions.walltime?.maximum).toBe(SPEC_LIMITS.walltimeSeconds);
    expect(conditions.gpu?.properties.count?.maximum).toBe(SPEC_LIMITS.gpuCount);
    expect(schema.properties.retries?.maximum).toBe(SPEC_LIMITS.retries);
    const cmd = schema.properties.environment!.properties.cmd as SchemaNode & { maxLength?: number };
    expect(cmd.maxLength).toBe(SPEC_LIMITS.maxStringBytes);
    expect(new RegExp(cmd.pattern ?? '').test('python3 -u')).toBe(true);
    expect(new RegExp(cmd.pattern ?? '').test('python3\nid')).toBe(false);
    expect(schema.properties.sync?.properties.symlinks).toMatchObject({ enum: ['skip', 'inside', 'follow'], default: 'skip' });
  });
});
