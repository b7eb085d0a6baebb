// Runs `npm ci --no-audit --no-fund` here unless node_modules already matches package.json and
// package-lock.json (a stamp holding their SHA-256 is written after each successful install).
// Called by the Maven build before the tests, so `mvn verify` works from a clean clone and
// rebuilds need neither the network nor the time of a reinstall.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = dirname(fileURLToPath(import.meta.url))
const stamp = join(dir, 'node_modules', '.plasm-install-stamp')
const hash = createHash('sha256')
for (const f of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(dir, f)))
const want = `${process.version} ${hash.digest('hex')}`

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
  console.log('js-libp2p test peer: node_modules is up to date')
  process.exit(0)
}
console.log('js-libp2p test peer: npm ci --no-audit --no-fund')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' })
if (r.status !== 0) {
  console.error(`npm ci failed (${r.error ?? 'exit ' + r.status}); set -Dlibp2p.interop.skip=true to build without the js peer`)
  process.exit(r.status || 1)
}
writeFileSync(stamp, want)
