/**
 * CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection — the checksum
 * Redis Cluster hashes keys with (cluster spec, "Keys distribution model").
 * Table-driven: one lookup per byte, and no allocation for the string variant.
 */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
}

/** CRC16 of `bytes[start..end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/**
 * CRC16 of the UTF-8 encoding of `str[start..end)`, encoding on the fly so that the common
 * case (string keys) needs no Buffer. Lone surrogates become U+FFFD, as `Buffer.from` does.
 */
export function crc16Utf8(str: string, start = 0, end = str.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ c) & 0xff];
      continue;
    }
    if (c < 0x800) {
      crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0xc0 | (c >> 6))) & 0xff];
      crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | (c & 0x3f))) & 0xff];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < end ? str.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0xf0 | (c >> 18))) & 0xff];
        crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 12) & 0x3f))) & 0xff];
        crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 6) & 0x3f))) & 0xff];
        crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | (c & 0x3f))) & 0xff];
        continue;
      }
      c = 0xfffd;
    }
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0xe0 | (c >> 12))) & 0xff];
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | ((c >> 6) & 0x3f))) & 0xff];
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ (0x80 | (c & 0x3f))) & 0xff];
  }
  return crc;
}
