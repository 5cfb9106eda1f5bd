/**
 * Length of the longest prefix of `buffer.subarray(0, end)` that ends on a
 * whole UTF-8 character, so a chunk of output cut there decodes without a
 * replacement character and the rest of the character comes with the next
 * chunk. Bytes that are not valid UTF-8 are left as they are (decoding
 * replaces them either way).
 */
export function completeUtf8Length(buffer: Uint8Array, end: number = buffer.length): number {
  const limit = Math.min(Math.max(0, end), buffer.length);
  // A character is at most 4 bytes: look at most 3 back for the lead byte of an unfinished one.
  for (let back = 1; back <= Math.min(3, limit); back += 1) {
    const byte = buffer[limit - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const needed = (byte & 0xe0) === 0xc0 ? 2 : (byte & 0xf0) === 0xe0 ? 3 : (byte & 0xf8) === 0xf0 ? 4 : 1;
    return back >= needed ? limit : limit - back;
  }
  return limit;
}
