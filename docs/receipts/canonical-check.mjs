// A second, independent implementation of the receipt signature check (docs/receipts.md §3-4),
// in JavaScript with Node's own Ed25519, used by Plasm's tests to prove the specification is
// enough to re-implement verification outside Java.
// Usage: node canonical-check.mjs RECEIPT.json   -> prints "valid" or "invalid: <reason>", exit 0/1
// It checks the canonical form and the signature only; a full verifier also applies the key
// checks of §5 (Node, like the JDK, accepts small-order keys).
import fs from 'node:fs';
import crypto from 'node:crypto';

const canonical = (v) => {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    // RFC 8785: keys sorted by UTF-16 code units, which is JavaScript's default sort.
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error('not an exact integer: ' + v);
  return JSON.stringify(v);
};

const receipt = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const signature = Buffer.from(receipt.signature ?? '', 'base64');
delete receipt.signature;
const message = Buffer.concat([Buffer.from('plasm-receipt:v1:', 'ascii'), Buffer.from(canonical(receipt), 'utf8')]);
const raw = Buffer.from(receipt.signer.publicKey, 'base64');
if (raw.length !== 32 || signature.length !== 64) {
  console.log('invalid: key or signature has the wrong length');
  process.exit(1);
}
const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
const settingsHash = crypto.createHash('sha256').update(canonical(receipt.settings), 'utf8').digest('hex');
if (settingsHash !== receipt.settingsSha256) {
  console.log('invalid: settingsSha256 does not match the settings');
  process.exit(1);
}
if (!crypto.verify(null, message, key, signature)) {
  console.log('invalid: signature');
  process.exit(1);
}
console.log('valid');
