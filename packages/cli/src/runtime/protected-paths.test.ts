import { describe, expect, it } from 'vitest';
import { protectedPathsOf } from './protected-paths';

describe('protectedPathsOf', () => {
  it("hides pollinator's data and config directories and the extra paths, each once", () => {
    const config = { dataDir: '/home/ada/.local/share/pollinator', configDir: '/home/ada/.config/pollinator' };
    expect(protectedPathsOf(config, '/home/ada/.local/share/pollinator/executors/x', config.dataDir)).toEqual([
      '/home/ada/.local/share/pollinator',
      '/home/ada/.config/pollinator',
      '/home/ada/.local/share/pollinator/executors/x',
    ]);
  });
});
