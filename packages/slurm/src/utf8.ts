/** Length of the longest prefix of `buffer.subarray(0, end)` that ends on a whole UTF-8 character. */
export function utf8Boundary(buffer: Buffer, end: number): number {
  let index = end;
  // Step back over continuation bytes (10xxxxxx) to the start of the last character.
  let back = 0;
  while (index > 0 && back < 4 && (buffer[index - 1]! & 0xc0) === 0x80) {
    index -= 1;
    back += 1;
  }
  if (index === 0) return end;
  const lead = buffer[index - 1]!;
  const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length === back + 1 ? end : index - 1;
}
