import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { parseEnvFile } from './env-file';
import { KNOWN_VARIABLES } from './known-variables';
import { configDir, dataDir, tildify } from './paths';

export { isKnownVariable, KNOWN_VARIABLES, suggestVariable, variableTypos, type ConfigVariable } from './known-variables';

const SECRET_PATTERN = /PRVKEY|SECRET|PASSWORD|TOKEN|ACCESSKEY/;

export function isSecret(name: string): boolean {
  return KNOWN_VARIABLES.find((variable) => variable.name === name)?.secret ?? SECRET_PATTERN.test(name);
}

/** `d6eb…74f6` → `••••••••74f6` (length and most of the value hidden). */
export function maskSecret(value: string): string {
  if (value === '') return '';
  if (value.length <= 8) return '••••••••';
  return `••••••••${value.slice(-4)}`;
}

export type ValueSource = 'environment' | 'profile';

export interface ResolvedVariable {
  name: string;
  value: string;
  source: ValueSource;
}

export interface ProfileInfo {
  name: string;
  path: string;
  /** How it was chosen. */
  via: '--profile' | 'POLLINATOR_PROFILE' | 'default profile';
}

export interface EffectiveConfig {
  /** Profile values overlaid with the process environment: what the libraries read. */
  env: NodeJS.ProcessEnv;
  profile: ProfileInfo | undefined;
  /** Every known `COLONIES_*`, `AWS_S3_*`, `COLONYOS_*`, `POLLINATOR_*` variable that is set. */
  variables: ResolvedVariable[];
  /** `colony` when `COLONIES_SERVER_HOST` is set, else the embedded default. */
  mode: 'colony' | 'embedded';
  dataDir: string;
  configDir: string;
}

const RELEVANT_PREFIXES = ['COLONIES_', 'AWS_S3_', 'COLONYOS_', 'POLLINATOR_'];

function isRelevant(name: string): boolean {
  return RELEVANT_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export function profilesDir(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'profiles');
}

/** Profile names found in the profiles directory. */
export function listProfiles(env: NodeJS.ProcessEnv): string[] {
  try {
    return readdirSync(profilesDir(env))
      .filter((file) => file.endsWith('.env'))
      .map((file) => file.slice(0, -'.env'.length))
      .sort();
  } catch {
    return [];
  }
}

function profilePath(reference: string, env: NodeJS.ProcessEnv, cwd: string): { name: string; path: string } {
  if (reference.includes('/') || reference.includes('\\') || reference.endsWith('.env')) {
    const path = isAbsolute(reference) ? reference : resolve(cwd, reference);
    return { name: reference, path };
  }
  return { name: reference, path: join(profilesDir(env), `${reference}.env`) };
}

/**
 * Works out the configuration in effect: the profile (from `--profile`,
 * `POLLINATOR_PROFILE`, or `profiles/default.env` when it exists), overlaid
 * with the process environment (the environment always wins).
 */
export function resolveConfig(options: {
  env?: NodeJS.ProcessEnv;
  profile?: string;
  cwd?: string;
}): EffectiveConfig {
  const processEnv = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let profile: ProfileInfo | undefined;
  if (options.profile !== undefined && options.profile !== '') {
    profile = { ...profilePath(options.profile, processEnv, cwd), via: '--profile' };
  } else if (processEnv.POLLINATOR_PROFILE !== undefined && processEnv.POLLINATOR_PROFILE !== '') {
    profile = { ...profilePath(processEnv.POLLINATOR_PROFILE, processEnv, cwd), via: 'POLLINATOR_PROFILE' };
  } else {
    const candidate = join(profilesDir(processEnv), 'default.env');
    if (existsSync(candidate)) profile = { name: 'default', path: candidate, via: 'default profile' };
  }

  const profileValues: Record<string, string> = {};
  if (profile !== undefined) {
    let text: string;
    try {
      text = readFileSync(profile.path, 'utf8');
    } catch (error) {
      const known = listProfiles(processEnv);
      throw new CliError(`Cannot read profile "${profile.name}"`, {
        why: `${tildify(profile.path, processEnv)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
        fix:
          known.length > 0
            ? `Known profiles: ${known.join(', ')} (in ${tildify(profilesDir(processEnv), processEnv)}).`
            : `Create it as an env file (KEY=VALUE lines, e.g. the one \`pollinator dev\` writes) or drop ${profile.via}.`,
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
        cause: error,
      });
    }
    const parsed = parseEnvFile(text);
    if (parsed.problems.length > 0) {
      throw new CliError(`Profile "${profile.name}" is not a valid env file`, {
        why: `${parsed.problems.length} line(s) could not be read`,
        fix: 'Each line must be KEY=VALUE, a comment (#) or blank.',
        details: parsed.problems.map((problem) => `${tildify(profile.path, processEnv)}:${problem.line}: ${problem.message}`),
        exitCode: CliExitCode.CONFIG,
        code: 'CONFIG',
      });
    }
    for (const entry of parsed.entries) profileValues[entry.key] = entry.value;
  }

  const env: NodeJS.ProcessEnv = { ...profileValues, ...processEnv };
  const variables: ResolvedVariable[] = [];
  const names = new Set([...Object.keys(profileValues), ...Object.keys(processEnv)].filter(isRelevant));
  for (const name of [...names].sort()) {
    const fromEnv = processEnv[name];
    if (fromEnv !== undefined) variables.push({ name, value: fromEnv, source: 'environment' });
    else variables.push({ name, value: profileValues[name] ?? '', source: 'profile' });
  }
  const host = env.COLONIES_SERVER_HOST;
  return {
    env,
    profile,
    variables,
    mode: host !== undefined && host !== '' ? 'colony' : 'embedded',
    dataDir: dataDir(env),
    configDir: configDir(env),
  };
}
