/** At most `max` characters of `text`, for messages (a key may be a megabyte long). */
export function preview(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/**
 * `text` as a JSON string, shortened by `preview`, with the line breaks JSON
 * leaves raw (NEL, LINE and PARAGRAPH SEPARATOR) escaped too: a message must
 * stay on one line of the terminal whatever the file holds.
 */
export function quote(text: string, max = 80): string {
  return JSON.stringify(preview(text, max)).replace(/[\u0085\u2028\u2029]/g, (character) => unicodeEscape(character));
}

/** `\u2028` for U+2028. */
export function unicodeEscape(character: string): string {
  return `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/** A mapping key as a path segment: plain when it is a simple name, quoted otherwise. */
export function pathSegment(key: string): string {
  return /^[A-Za-z0-9_-]*$/.test(key) ? preview(key) : `[${quote(key)}]`;
}

/**
 * `message` on one line and at most `max` characters: control characters and
 * line breaks escaped (the YAML library quotes raw source in its messages).
 */
export function oneLine(message: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  const escaped = preview(message, max).replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (character) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[character] ?? unicodeEscape(character);
  });
  return escaped;
}
