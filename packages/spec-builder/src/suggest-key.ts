import { PROJECT_YAML_LIMITS } from './limits';
import { ALLOWED } from './project-schema';

/** A step of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/** `['conditions', 'executorNames', 0]` → `conditions.executorNames.*` (the key of `ALLOWED`). */
export function patternOf(path: readonly PathSegment[]): string {
  return path.map((segment) => (typeof segment === 'number' ? '*' : segment)).join('.');
}

/** Keys the schema knows at `path` (an object). */
export function knownKeys(path: readonly PathSegment[]): string[] {
  const prefix = patternOf(path);
  return Object.keys(ALLOWED)
    .filter((pattern) => pattern !== '' && !pattern.endsWith('*') && !pattern.endsWith('>'))
    .filter((pattern) => {
      if (prefix === '') return !pattern.includes('.');
      return pattern.startsWith(`${prefix}.`) && !pattern.slice(prefix.length + 1).includes('.');
    })
    .map((pattern) => pattern.split('.').at(-1) ?? pattern);
}

/**
 * The known key nearest to `key` at `path`, or the full path of a same-named
 * key elsewhere. Constant work per key: keys longer than
 * `PROJECT_YAML_LIMITS.maxSuggestionKeyLength` get no suggestion (no known
 * key is near them), so a file of huge unknown keys stays linear.
 */
export function suggestKey(path: readonly PathSegment[], key: string): string | undefined {
  if (key.length > PROJECT_YAML_LIMITS.maxSuggestionKeyLength) return undefined;
  const known = knownKeys(path);
  const lower = key.toLowerCase().replace(/[-_]/g, '');
  const sameLetters = known.find((candidate) => candidate.toLowerCase().replace(/[-_]/g, '') === lower);
  if (sameLetters !== undefined) return sameLetters;

  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const limit = Math.max(2, Math.floor(candidate.length / 3));
    // The distance is at least the difference in length: skip hopeless candidates without computing it.
    if (Math.abs(candidate.length - key.length) > limit) continue;
    const distance = levenshtein(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  if (best !== undefined) return best.candidate;

  // The right key at the wrong level (e.g. `walltime` at the top instead of under conditions).
  return Object.keys(ALLOWED).find(
    (pattern) =>
      !pattern.includes('*') && !pattern.includes('<') && pattern.split('.').at(-1)?.toLowerCase() === key.toLowerCase(),
  );
}

function levenshtein(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}
