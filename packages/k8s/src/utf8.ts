/** Length of the longest prefix of `buffer` that ends on a UTF-8 character boundary. */
export function completeUtf8Length(buffer: Buffer): number {
  const length = buffer.length;
  // Look back at most 3 bytes for the start of an unfinished multi-byte character.
  for (let back = 1; back <= Math.min(3, length); back += 1) {
    const byte = buffer[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? length - back : length;
  }
  return length;
}
