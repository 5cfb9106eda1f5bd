/**
 * Reads and writes env files (`KEY=VALUE` per line), the format of
 * ColonyOS's `docker-compose.env`, of the dev-server's env file and of
 * pollinator profiles. Supports `#` comments, blank lines, an optional
 * `export ` prefix and single- or double-quoted values.
 */
export interface EnvFileEntry {
  key: string;
  value: string;
  line: number;
}

export interface EnvFileProblem {
  line: number;
  message: string;
}

export function parseEnvFile(text: string): { entries: EnvFileEntry[]; problems: EnvFileProblem[] } {
  const entries: EnvFileEntry[] = [];
  const problems: EnvFileProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    let text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    if (text.startsWith('export ')) text = text.slice('export '.length).trim();
    const equals = text.indexOf('=');
    if (equals <= 0) {
      problems.push({ line, message: `expected KEY=VALUE, found "${text.slice(0, 40)}"` });
      return;
    }
    const key = text.slice(0, equals).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      problems.push({ line, message: `"${key}" is not a valid variable name` });
      return;
    }
    let value = text.slice(equals + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      const quote = value[0];
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\n])/g, (_match, character: string) => (character === 'n' ? '\n' : character));
    } else {
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    entries.push({ key, value, line });
  });
  return { entries, problems };
}

/** Renders variables as an env file (values double-quoted when needed). */
export function formatEnvFile(variables: Record<string, string>, header?: string): string {
  let text = header === undefined ? '' : `${header.split('\n').map((line) => `# ${line}`.trimEnd()).join('\n')}\n`;
  for (const [key, value] of Object.entries(variables)) {
    const needsQuotes = value === '' || /[\s#"'\\$`]/.test(value);
    text += `${key}=${needsQuotes ? `"${value.replace(/(["\\$`])/g, '\\$1').replace(/\n/g, '\\n')}"` : value}\n`;
  }
  return text;
}
