// A js-libp2p peer for Plasm's interop tests (test-only, loopback-only).
//
// Usage: node peer.mjs [--key ed25519|rsa|secp256k1] [--watchdog SECONDS] [--dht PROTOCOL]
//                      [--slow-upgrade MILLIS] [--quic] [--relay-server] [--relay-client] [--autonat]
//                      [--ip ADDRESS]
// (js-libp2p cannot make peer ids from ECDSA keys, so ECDSA is covered by the Java tests only.)
// --quic adds @chainsafe/libp2p-quic (rust quinn, linux-x64 binary) and listens on QUIC too.
// --relay-server runs @libp2p/circuit-relay-v2's relay (hop); --relay-client adds its transport and
// listens on /p2p-circuit, so the peer reserves a slot on the first relay it connects to.
// Stream handlers and the upload/parallel commands also run on relayed ("limited") connections.
// --ip listens on ADDRESS instead of 127.0.0.1 (inside a network namespace).
// --autonat adds @libp2p/autonat (v1): it answers dial-back requests and checks its own addresses
// (js skips private and loopback addresses both ways).
// --dht adds @libp2p/kad-dht in server mode on PROTOCOL (e.g. /plasm/kad/1.0.0), with loopback
// addresses kept (passthroughMapper) and a validator and selector for the /plasm/ namespace that
// match the Java side: values up to 16 KiB, the greatest value (unsigned bytes) wins. Without
// --dht the peer is exactly the milestone-1 peer.
//
// Prints one JSON line {"event":"ready","peerId":...,"addrs":[...]} on stdout, then answers
// JSON-line commands from stdin ({"id":N,"cmd":...}) with {"id":N,"ok":true,...} or
// {"id":N,"ok":false,"error":...}. It exits when stdin closes and, whatever happens, after the
// watchdog delay, so a crashed test never leaves it running.
import './polyfill.mjs'
import { createHash, randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { quic } from '@chainsafe/libp2p-quic'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { autoNAT } from '@libp2p/autonat'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

const ECHO = '/plasm/test/echo/1.0.0'
const SINK = '/plasm/test/sink/1.0.0'
const STREAM_LIMITS = { maxInboundStreams: 1024, maxOutboundStreams: 1024, runOnLimitedConnection: true }

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const keyType = opt('--key', 'ed25519')
const watchdogSeconds = Number(opt('--watchdog', '180'))
const dhtProtocol = opt('--dht', null)
// Delays the last step of each inbound connection upgrade (after the muxer exists, before the
// connection listens for streams), as a loaded event loop does: streams the dialer opens in that
// gap are "early streams", and js aborts the muxer when more than 10 pile up.
const slowUpgradeMillis = Number(opt('--slow-upgrade', '0'))
const withQuic = args.includes('--quic')
const relayServer = args.includes('--relay-server')
const relayClient = args.includes('--relay-client')
const withAutonat = args.includes('--autonat')
const ip = opt('--ip', '127.0.0.1')
const PLASM_MAX_VALUE = 16 * 1024

setTimeout(() => {
  process.stderr.write(`watchdog: exiting after ${watchdogSeconds}s\n`)
  process.exit(3)
}, watchdogSeconds * 1000)

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const bytes = (chunk) => (chunk instanceof Uint8Array ? chunk : chunk.subarray())

async function send (stream, data) {
  if (!stream.send(data)) {
    await stream.onDrain()
  }
}

async function echo (stream) {
  for await (const chunk of stream) {
    await send(stream, bytes(chunk))
  }
  await stream.close()
}

// Reads everything, then answers "<byte count> <sha-256 hex>\n".
async function sink (stream) {
  const hash = createHash('sha256')
  let count = 0
  for await (const chunk of stream) {
    const b = bytes(chunk)
    hash.update(b)
    count += b.length
  }
  await send(stream, new TextEncoder().encode(`${count} ${hash.digest('hex')}\n`))
  await stream.close()
}

async function readAll (stream) {
  const parts = []
  for await (const chunk of stream) {
    parts.push(Buffer.from(bytes(chunk)))
  }
  return Buffer.concat(parts)
}

// Sends `size` random bytes in 64 KiB chunks, closes the write side, returns the sha-256.
async function sendRandom (stream, size) {
  const hash = createHash('sha256')
  for (let sent = 0; sent < size;) {
    const chunk = randomBytes(Math.min(65536, size - sent))
    hash.update(chunk)
    await send(stream, chunk)
    sent += chunk.length
  }
  await stream.close()
  return hash.digest('hex')
}

// The same rules as Java's RecordValidator for /plasm/ keys.
const comparePlasmValues = (a, b) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}
const plasmValidator = async (key, value) => {
  if (new TextDecoder().decode(key).length <= '/plasm/'.length) throw new Error('empty /plasm/ key')
  if (value.length > PLASM_MAX_VALUE) throw new Error(`/plasm/ value of ${value.length} bytes is too large`)
}
const plasmSelector = (key, values) => {
  let best = 0
  for (let i = 1; i < values.length; i++) {
    if (comparePlasmValues(values[i], values[best]) > 0) best = i
  }
  return best
}

const services = { identify: identify(), identifyPush: identifyPush(), ping: ping() }
if (relayServer) {
  services.relay = circuitRelayServer({ reservations: { maxReservations: 32 } })
}
if (withAutonat) {
  services.autoNAT = autoNAT({ startupDelay: 1000, refreshInterval: 5000 })
}
if (dhtProtocol != null) {
  services.dht = kadDHT({
    protocol: dhtProtocol,
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    validators: { plasm: plasmValidator },
    selectors: { plasm: plasmSelector },
    initialQuerySelfInterval: 500,
    querySelfInterval: 5000
  })
}

const node = await createLibp2p({
  privateKey: await generateKeyPair({ rsa: 'RSA', secp256k1: 'secp256k1' }[keyType] ?? 'Ed25519'),
  addresses: {
    listen: [`/ip4/${ip}/tcp/0`, ...(withQuic ? [`/ip4/${ip}/udp/0/quic-v1`] : []),
      ...(relayClient ? ['/p2p-circuit'] : [])]
  },
  transports: [tcp(), ...(withQuic ? [quic()] : []), ...(relayClient ? [circuitRelayTransport()] : [])],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services,
  connectionGater: slowUpgradeMillis > 0
    ? { denyInboundUpgradedConnection: async () => { await new Promise((resolve) => setTimeout(resolve, slowUpgradeMillis)); return false } }
    : {}
})
await node.handle(ECHO, (stream) => echo(stream).catch((err) => stream.abort(err)), STREAM_LIMITS)
await node.handle(SINK, (stream) => sink(stream).catch((err) => stream.abort(err)), STREAM_LIMITS)
node.addEventListener('peer:identify', (evt) => {
  out({ event: 'identify', peer: evt.detail.peerId.toString(), protocols: evt.detail.protocols, agent: evt.detail.agentVersion })
})

const commands = {
  // force: a new connection even if one is open (js closes nothing; the listener picks one).
  async dial ({ addr, force }) {
    const conn = await node.dial(multiaddr(addr), { force: force === true })
    return { peer: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString() }
  },
  async ping ({ addr }) {
    return { rtt: await node.services.ping.ping(multiaddr(addr)) }
  },
  async peerInfo ({ peer }) {
    const p = await node.peerStore.get(peerIdFromString(peer))
    const agent = p.metadata.get('AgentVersion')
    return {
      protocols: p.protocols,
      addrs: p.addresses.map((a) => a.multiaddr.toString()),
      agent: agent == null ? null : new TextDecoder().decode(agent),
      publicKey: p.id.publicKey == null ? null : Buffer.from(p.id.publicKey.raw).toString('hex')
    }
  },
  // The peer's current addresses (relayed ones appear once a reservation is made).
  async addrs () {
    return { addrs: node.getMultiaddrs().map((a) => a.toString()) }
  },
  async connections () {
    return { connections: node.getConnections().map((c) => ({ peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), status: c.status, limited: c.limits != null })) }
  },
  // Opens a stream to `protocol` at `addr`, sends `size` random bytes and returns what came back.
  async upload ({ addr, protocol, size }) {
    const stream = await node.dialProtocol(multiaddr(addr), protocol, STREAM_LIMITS)
    const started = Date.now()
    const [sha, reply] = await Promise.all([sendRandom(stream, size), readAll(stream)])
    return { sha, replyText: reply.length < 200 ? reply.toString('utf8') : null, replySha: createHash('sha256').update(reply).digest('hex'), replyLength: reply.length, ms: Date.now() - started }
  },
  // Opens `streams` streams in parallel, each echoing `size` random bytes.
  async parallel ({ addr, protocol, streams, size }) {
    const started = Date.now()
    const results = await Promise.all(Array.from({ length: streams }, async () => {
      const stream = await node.dialProtocol(multiaddr(addr), protocol, STREAM_LIMITS)
      const [sha, reply] = await Promise.all([sendRandom(stream, size), readAll(stream)])
      return sha === createHash('sha256').update(reply).digest('hex') && reply.length === size
    }))
    return { matching: results.filter(Boolean).length, ms: Date.now() - started }
  },
  async handle ({ protocol }) {
    await node.handle(protocol, (stream) => echo(stream).catch((err) => stream.abort(err)), STREAM_LIMITS)
    return {}
  },
  async hangUp ({ peer }) {
    await node.hangUp(peerIdFromString(peer))
    return {}
  },
  // ---- DHT (only with --dht) ----
  async dhtRoutingTable () {
    return { peers: [...node.services.dht.routingTable.kb.toIterable()].map((p) => p.peerId.toString()) }
  },
  async dhtMode () {
    return { mode: node.services.dht.getMode() }
  },
  async dhtFindPeer ({ peer }) {
    const info = await node.peerRouting.findPeer(peerIdFromString(peer), { signal: AbortSignal.timeout(20000) })
    return { peer: info.id.toString(), addrs: info.multiaddrs.map((a) => a.toString()) }
  },
  // The DHT's own lookup events, so that a short answer can be explained: `peers` are the final
  // (answering) closest peers, `responses` counts answers, `errors` lists failed queries.
  async dhtClosestPeers ({ keyHex }) {
    const peers = []
    const errors = []
    let responses = 0
    for await (const e of node.services.dht.getClosestPeers(Buffer.from(keyHex, 'hex'), { signal: AbortSignal.timeout(20000) })) {
      if (e.name === 'FINAL_PEER') peers.push(e.peer.id.toString())
      else if (e.name === 'PEER_RESPONSE') responses++
      else if (e.name === 'QUERY_ERROR') errors.push(`${e.from}: ${e.error?.name}: ${e.error?.message}`)
    }
    return { peers, responses, errors: errors.slice(0, 20) }
  },
  async dhtPut ({ key, valueHex }) {
    await node.contentRouting.put(new TextEncoder().encode(key), Buffer.from(valueHex, 'hex'), { signal: AbortSignal.timeout(20000) })
    return {}
  },
  async dhtGet ({ key }) {
    const value = await node.contentRouting.get(new TextEncoder().encode(key), { signal: AbortSignal.timeout(20000) })
    return { valueHex: Buffer.from(value).toString('hex') }
  },
  // `multihashHex` is the binary multihash; as a CID it is v0 for sha2-256 (what js keys providers by).
  async dhtProvide ({ multihashHex }) {
    const cid = CID.createV0(Digest.decode(Buffer.from(multihashHex, 'hex')))
    await node.contentRouting.provide(cid, { signal: AbortSignal.timeout(20000) })
    return {}
  },
  async dhtFindProviders ({ multihashHex, max }) {
    const cid = CID.createV0(Digest.decode(Buffer.from(multihashHex, 'hex')))
    const providers = []
    const signal = AbortSignal.timeout(20000)
    for await (const p of node.contentRouting.findProviders(cid, { signal })) {
      providers.push({ peer: p.id.toString(), addrs: p.multiaddrs.map((a) => a.toString()) })
      if (providers.length >= (max ?? 20)) break
    }
    return { providers }
  }
}

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let req
  try {
    req = JSON.parse(line)
    const fn = commands[req.cmd]
    if (fn == null) throw new Error(`unknown command ${req.cmd}`)
    out({ id: req.id, ok: true, ...(await fn(req)) })
  } catch (err) {
    out({ id: req?.id ?? null, ok: false, error: String(err?.stack ?? err) })
  }
})
rl.on('close', async () => {
  await node.stop().catch(() => {})
  process.exit(0)
})

// With AutoNAT, js announces a public address only once peers confirmed it: report what it listens on.
const listening = node.getMultiaddrs().length > 0
  ? node.getMultiaddrs()
  : node.components.transportManager.getAddrs().map((a) => a.encapsulate(`/p2p/${node.peerId}`))
out({ event: 'ready', peerId: node.peerId.toString(), addrs: listening.map((a) => a.toString()) })
