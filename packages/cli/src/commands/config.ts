import { isKnownVariable, isSecret, listProfiles, maskSecret, profilesDir, suggestVariable, variableTypos } from '../config/settings';
import { tildify } from '../config/paths';
import type { CommandContext } from '../context';
import { table } from '../render/format';

/** `pollinator config`: what is in effect, where it comes from, secrets masked. */
export async function run(context: CommandContext): Promise<number> {
  // This command lists the typos itself, with every variable.
  context.reportVariableTypos = false;
  const config = context.config;
  const { output } = context;
  const env = context.env;
  const variables = config.variables.map((variable) => ({
    name: variable.name,
    value: isSecret(variable.name) ? maskSecret(variable.value) : variable.value,
    secret: isSecret(variable.name),
    source: variable.source,
  }));
  const profiles = listProfiles(env);

  if (output.isJson) {
    output.json({
      type: 'config',
      mode: config.mode,
      server: config.mode === 'colony' ? serverDescription(config.env) : undefined,
      colonyName: config.env.COLONIES_COLONY_NAME,
      profile: config.profile === undefined ? null : { ...config.profile },
      profilesDir: profilesDir(env),
      profiles,
      dataDir: config.dataDir,
      variables,
      unknownVariables: config.variables
        .filter((variable) => !isKnownVariable(variable.name))
        .map((variable) => ({ name: variable.name, suggestion: suggestVariable(variable.name) })),
    });
    return 0;
  }

  const c = output.stdoutColors;
  const lines: string[] = [];
  if (config.mode === 'colony') {
    lines.push(`${c.bold('Colony')}     ${serverDescription(config.env)}, colony ${config.env.COLONIES_COLONY_NAME ?? c.yellow('(COLONIES_COLONY_NAME not set)')}`);
  } else {
    lines.push(
      `${c.bold('Colony')}     embedded default (no COLONIES_SERVER_HOST): a local server and executor, state in ${tildify(config.dataDir, env)}`,
    );
  }
  lines.push(
    `${c.bold('Profile')}    ${
      config.profile === undefined
        ? `none${profiles.length > 0 ? ` (available: ${profiles.join(', ')})` : ''}`
        : `${config.profile.name} (${tildify(config.profile.path, env)}, via ${config.profile.via})`
    }`,
  );
  lines.push(`${c.bold('Data dir')}   ${tildify(config.dataDir, env)}`);
  lines.push('');
  if (variables.length === 0) {
    lines.push('No COLONIES_*, AWS_S3_*, COLONYOS_* or POLLINATOR_* variables are set.');
  } else {
    lines.push(
      table(
        variables.map((variable) => [variable.name, variable.value === '' ? c.dim('(empty)') : variable.value, c.dim(variable.source)]),
        [c.dim('VARIABLE'), c.dim('VALUE'), c.dim('FROM')],
      ),
    );
  }
  const unknown = config.variables.filter((variable) => !isKnownVariable(variable.name));
  const typos = variableTypos(unknown);
  const others = unknown.filter((variable) => suggestVariable(variable.name) === undefined);
  if (unknown.length > 0) lines.push('');
  for (const typo of typos) lines.push(c.yellow(typo));
  if (others.length > 0) {
    lines.push(c.dim(`Not read by pollinator (settings of other ColonyOS tools?): ${others.map((variable) => variable.name).join(', ')}`));
  }
  output.result(lines.join('\n'));
  return 0;
}

function serverDescription(env: NodeJS.ProcessEnv): string {
  const tlsValue = env.COLONIES_TLS ?? env.COLONIES_SERVER_TLS;
  const tls = tlsValue === undefined ? true : /^(1|true|yes|on)$/i.test(tlsValue);
  const port = env.COLONIES_SERVER_HTTP_PORT || env.COLONIES_SERVER_PORT;
  return `${tls ? 'https' : 'http'}://${env.COLONIES_SERVER_HOST ?? '?'}:${port || (tls ? '443' : '50080')}`;
}
