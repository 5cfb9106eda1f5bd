// Nesting depth of parsed JSON, measured without recursion. `JSON.parse` is
// iterative in V8 and survives any depth, but everything after it that walks
// the value — `sortMapKeys`, `JSON.stringify` — recurses and overflows the
// stack somewhere past a few thousand levels. Requests deeper than
// REQUEST_LIMITS.jsonDepth are therefore refused right after parsing.

/**
 * Whether `value` nests deeper than `limit` levels (a scalar is level 0, an
 * object or array level 1, its object or array members level 2, …). Visits
 * each container at most once and stops at the first one past the limit.
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const { value: current, depth } = entry;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    const members = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const member of members) {
      if (member !== null && typeof member === 'object') stack.push({ value: member, depth: depth + 1 });
    }
  }
  return false;
}
