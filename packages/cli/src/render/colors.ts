import picocolors from 'picocolors';

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Whether to colour output written to `stream`: never with `--no-color` or a
 * non-empty `NO_COLOR` (https://no-color.org), always with `FORCE_COLOR`
 * (other than `0`), otherwise only on a terminal that is not `dumb`.
 */
export function shouldUseColor(options: {
  flag: boolean | undefined;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}): boolean {
  if (options.flag === false) return false;
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '') return false;
  const force = options.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (options.env.TERM === 'dumb') return false;
  return options.isTTY;
}

export function createColors(enabled: boolean): Colors {
  return picocolors.createColors(enabled);
}
