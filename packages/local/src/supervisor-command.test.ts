import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supervisorArguments } from './supervisor-command';

describe('supervisorArguments', () => {
  it('runs the TypeScript supervisor through the tsx loader from source', () => {
    const args = supervisorArguments();
    expect(args.slice(0, 2)).toEqual(['--conditions=@pollinator/source', '--import']);
    expect(args[2]).toMatch(/^file:.*tsx/);
    expect(args[3]).toMatch(/\/src\/supervisor\/main\.ts$/);
    expect(existsSync(args[3]!)).toBe(true);
  });

  it('runs the built supervisor next to the built library', () => {
    expect(supervisorArguments('file:///opt/app/node_modules/@pollinator/local/dist/index.js')).toEqual([
      '/opt/app/node_modules/@pollinator/local/dist/supervisor/main.js',
    ]);
    expect(supervisorArguments('file:///opt/app/node_modules/@pollinator/local/dist/chunk-ABC.js')).toEqual([
      '/opt/app/node_modules/@pollinator/local/dist/supervisor/main.js',
    ]);
  });
});
