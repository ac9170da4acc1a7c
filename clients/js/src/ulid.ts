/** ULIDs: 48 bits of milliseconds, 80 random bits; what the server makes and recommends as uids. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function random(bytes: Uint8Array): void {
  globalThis.crypto.getRandomValues(bytes);
}

/** A new ULID as its 16 bytes (big-endian time first). */
export function ulid(now: number = Date.now()): Uint8Array {
  const b = new Uint8Array(16);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  random(b.subarray(6));
  return b;
}

/** The 26-character Crockford base-32 text of a 16-byte ULID; other uids as lowercase hex. */
export function uidText(uid: Uint8Array): string {
  if (uid.length !== 16) return hex(uid);
  let n = 0n;
  for (const x of uid) n = (n << 8n) | BigInt(x);
  let s = "";
  for (let i = 0; i < 26; i++) {
    s = CROCKFORD[Number(n & 31n)] + s;
    n >>= 5n;
  }
  return s;
}

/** Lowercase hex: the key uids are kept under. */
export function hex(uid: Uint8Array): string {
  let s = "";
  for (const x of uid) s += x.toString(16).padStart(2, "0");
  return s;
}
