// The js-libp2p side of Plasm's transport benchmark (bench/libp2p/run.sh; loopback only).
//
//   node bench.mjs server [--transport tcp|quic] [--watchdog S]
//     listens on 127.0.0.1:0 over TCP (Noise + Yamux) or QUIC (@chainsafe/libp2p-quic), serves
//     /plasm/bench/sink/1.0.0 (reads to end of stream, then replies with the byte count as a
//     u64be) and /ipfs/ping/1.0.0, prints {"event":"ready","addr":"/ip4/127.0.0.1/…/p2p/…"},
//     and exits when stdin closes.
//   node bench.mjs client --addr A [--size BYTES --runs N --warmup W] [--dials D --dial-warmup DW]
//     throughput: one connection, one new stream per run, BYTES one way into the sink, timed from
//     the first write to the sink's reply; prints {"kind":"throughput","bytes":…,"seconds":…}.
//     set-up: D fresh connections (TCP, mss, Noise, Yamux, or QUIC's TLS handshake; identify as
//     always) each timed until
//     the first ping round trip on it is done, then closed; prints {"kind":"dial","ms":…}, or
//     {"kind":"dialError","error":…} for a set-up that failed (counted, not retried).
//     Ends with {"event":"done"}. The Java driver (TransportBench) speaks the same protocol.
//
// Both sides use js-libp2p's defaults, except that the server accepts any number of
// connections per second from loopback (js refuses more than 5 a second from one host by default,
// which would measure the rate limiter, not the set-up), and the connection monitor is off.
import './polyfill.mjs'
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { quic } from '@chainsafe/libp2p-quic'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'

const SINK = '/plasm/bench/sink/1.0.0'
const PING = '/ipfs/ping/1.0.0'
const CHUNK = 64 * 1024

const args = process.argv.slice(2)
const mode = args[0]
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const transport = opt('--transport', 'tcp')
if (!['tcp', 'quic'].includes(transport)) {
  process.stderr.write(`bench.mjs: --transport must be tcp or quic, not ${transport}\n`)
  process.exit(64)
}
const watchdogSeconds = Number(opt('--watchdog', '900'))
setTimeout(() => {
  process.stderr.write(`watchdog: exiting after ${watchdogSeconds}s\n`)
  process.exit(3)
}, watchdogSeconds * 1000).unref()

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const bytes = (chunk) => (chunk instanceof Uint8Array ? chunk : chunk.subarray())

async function send (stream, data) {
  if (!stream.send(data)) {
    await stream.onDrain()
  }
}

async function readAll (stream) {
  const parts = []
  for await (const chunk of stream) {
    parts.push(Buffer.from(bytes(chunk)))
  }
  return Buffer.concat(parts)
}

const node = await createLibp2p({
  addresses: { listen: mode === 'server' ? [transport === 'quic' ? '/ip4/127.0.0.1/udp/0/quic-v1' : '/ip4/127.0.0.1/tcp/0'] : [] },
  transports: [tcp(), quic()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 1e9, maxIncomingPendingConnections: 1024 },
  // Its periodic ping would collide with the measured ping (js allows one outbound ping stream per
  // connection), and the Java host has no such monitor.
  connectionMonitor: { enabled: false },
  services: { identify: identify(), ping: ping() }
})

if (mode === 'server') {
  await node.handle(SINK, async (stream) => {
    try {
      let count = 0
      for await (const chunk of stream) {
        count += chunk.byteLength
      }
      const reply = Buffer.alloc(8)
      reply.writeBigUInt64BE(BigInt(count))
      await send(stream, reply)
      await stream.close()
    } catch (err) {
      stream.abort(err)
    }
  }, { maxInboundStreams: 64 })
  out({ event: 'ready', addr: node.getMultiaddrs()[0].toString() })
  createInterface({ input: process.stdin }).on('close', async () => {
    await node.stop().catch(() => {})
    process.exit(0)
  })
} else if (mode === 'client') {
  const addr = multiaddr(opt('--addr'))
  const size = Number(opt('--size', '0'))
  const runs = Number(opt('--runs', '0'))
  const warmup = Number(opt('--warmup', '0'))
  const dials = Number(opt('--dials', '0'))
  const dialWarmup = Number(opt('--dial-warmup', '0'))
  const payload = new Uint8Array(CHUNK).fill(0xa5)

  if (runs > 0) {
    const conn = await node.dial(addr)
    for (let i = 0; i < warmup + runs; i++) {
      const stream = await conn.newStream(SINK)
      const started = process.hrtime.bigint()
      const [, reply] = await Promise.all([(async () => {
        for (let sent = 0; sent < size; sent += CHUNK) {
          await send(stream, sent + CHUNK <= size ? payload : payload.subarray(0, size - sent))
        }
        await stream.close()
      })(), readAll(stream)])
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const got = reply.length === 8 ? Number(reply.readBigUInt64BE(0)) : -1
      if (got !== size) throw new Error(`sink counted ${got} bytes, sent ${size}`)
      if (i >= warmup) out({ kind: 'throughput', bytes: size, seconds })
    }
    await conn.close()
  }
  // A failed set-up is counted (and printed by the driver), not retried, and does not stop the run.
  const probe = new Uint8Array(32).fill(7)
  for (let i = 0; i < dialWarmup + dials; i++) {
    const started = process.hrtime.bigint()
    let phase = 'dial'
    let conn
    try {
      // force: a fresh connection each time, never one still closing from the previous round
      conn = await node.dial(addr, { force: true })
      phase = 'newStream'
      const stream = await conn.newStream(PING)
      phase = 'ping'
      await send(stream, probe)
      let got = 0
      for await (const chunk of stream) {
        got += chunk.byteLength
        if (got >= 32) break
      }
      if (got !== 32) throw new Error(`ping answered ${got} bytes`)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (i >= dialWarmup) out({ kind: 'dial', ms })
    } catch (err) {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      out({ kind: 'dialError', error: `dial ${i}: ${phase} failed after ${ms.toFixed(1)} ms: ${err}` })
    }
    await conn?.close().catch(() => {})
  }
  out({ event: 'done' })
  await node.stop().catch(() => {})
  process.exit(0)
} else {
  process.stderr.write('usage: node bench.mjs server [--transport tcp|quic] | client --addr A [...]\n')
  process.exit(64)
}
