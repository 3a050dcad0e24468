// A MAVLink vehicle emulator on node-mavlink, the independent peer of the
// internal/mavlink tests. It sends HEARTBEAT, GLOBAL_POSITION_INT,
// VFR_HUD, SYS_STATUS and GPS_RAW_INT over UDP to a ground station,
// answers COMMAND_INT / COMMAND_LONG (DO_REPOSITION, DO_SET_MODE,
// SET_MESSAGE_INTERVAL) with COMMAND_ACK the way ArduPilot or PX4 do, and
// flies toward an accepted reposition target.
//
// Usage: node vehicle.js --gcs 127.0.0.1:14550 [--autopilot ardupilot|px4]
//   [--sysid 1] [--compid 1] [--lat 33.3] [--lon 41.1] [--home-amsl 250]
//   [--alt 100] [--battery 87] [--speed 200] [--pos-hz 10]
//   [--on-reposition accept|deny|ignore|int-unsupported] [--v1] [--signed]
//
// It prints one JSON object per line on stdout: {"event":"ready","port":N}
// first, then every command it receives and every CRC error.
'use strict'

const dgram = require('dgram')
const { PassThrough } = require('stream')
const {
  MavLinkPacketSplitter, MavLinkPacketParser, MavLinkProtocolV1, MavLinkProtocolV2,
  MavLinkPacketSignature, minimal, common,
} = require('node-mavlink')

const args = {}
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (!a.startsWith('--')) throw new Error(`bad argument ${a}`)
  const next = process.argv[i + 1]
  if (next === undefined || next.startsWith('--')) args[a.slice(2)] = true
  else { args[a.slice(2)] = next; i++ }
}
const [gcsHost, gcsPort] = String(args.gcs || '127.0.0.1:14550').split(':')
const autopilot = args.autopilot || 'ardupilot'
const sysid = Number(args.sysid || 1)
const compid = Number(args.compid || 1)
const onReposition = args['on-reposition'] || 'accept'
const speed = Number(args.speed || 300) // m/s: tests want convergence within a second or two
const homeAMSL = Number(args['home-amsl'] || 250)
const px4 = autopilot === 'px4'
const MAV_TYPE_QUADROTOR = 2
const COPTER_GUIDED = 4
const COPTER_LOITER = 5
const PX4_HOLD = (4 << 16) | (3 << 24)
const PX4_POSCTL = 3 << 16

const state = {
  lat: Number(args.lat || 33.3),
  lon: Number(args.lon || 41.1),
  rel: Number(args.alt || 100),
  battery: Number(args.battery || 87),
  customMode: px4 ? PX4_POSCTL : COPTER_LOITER,
  armed: true,
  target: null, // {lat, lon, rel}
  heading: 90,
  vn: 0,
  ve: 0,
}
let posHz = Number(args['pos-hz'] || 10)

function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n') }

const protocol = args.v1
  ? new MavLinkProtocolV1(sysid, compid)
  : new MavLinkProtocolV2(sysid, compid, args.signed ? MavLinkProtocolV2.IFLAG_SIGNED : 0)
const key = MavLinkPacketSignature.key('borderwatch test key')
let seq = 0
const sock = dgram.createSocket('udp4')

function send(msg) {
  let buf = protocol.serialize(msg, seq++ & 255)
  if (args.signed && !args.v1) buf = protocol.sign(buf, 1, key)
  sock.send(buf, Number(gcsPort), gcsHost)
}

function heartbeat() {
  const m = new minimal.Heartbeat()
  m.type = MAV_TYPE_QUADROTOR
  m.autopilot = px4 ? 12 : 3
  m.baseMode = 1 | (state.armed ? 128 : 0) | 8 // custom mode enabled, armed, guided enabled
  m.customMode = state.customMode
  m.systemStatus = 4 // ACTIVE
  m.mavlinkVersion = 3
  send(m)
}

function clamp16(v) { return Math.max(-32768, Math.min(32767, v)) }

function position() {
  const m = new common.GlobalPositionInt()
  m.timeBootMs = Math.floor(process.uptime() * 1000)
  m.lat = Math.round(state.lat * 1e7)
  m.lon = Math.round(state.lon * 1e7)
  m.alt = Math.round((homeAMSL + state.rel) * 1000)
  m.relativeAlt = Math.round(state.rel * 1000)
  m.vx = clamp16(Math.round(state.vn * 100))
  m.vy = clamp16(Math.round(state.ve * 100))
  m.vz = 0
  m.hdg = Math.round(state.heading * 100) % 36000
  send(m)
  const h = new common.VfrHud()
  h.airspeed = Math.hypot(state.vn, state.ve)
  h.groundspeed = Math.hypot(state.vn, state.ve)
  h.alt = homeAMSL + state.rel
  h.climb = 0
  h.heading = Math.round(state.heading) % 360
  h.throttle = 50
  send(h)
}

function sysStatus() {
  const m = new common.SysStatus()
  m.onboardControlSensorsPresent = 0
  m.onboardControlSensorsEnabled = 0
  m.onboardControlSensorsHealth = 0
  m.load = 300
  m.voltageBattery = 15800
  m.currentBattery = 1200
  m.batteryRemaining = state.battery
  m.dropRateComm = 0
  m.errorsComm = 0
  m.errorsCount1 = 0
  m.errorsCount2 = 0
  m.errorsCount3 = 0
  m.errorsCount4 = 0
  send(m)
  const g = new common.GpsRawInt()
  g.timeUsec = BigInt(Math.floor(process.uptime() * 1e6))
  g.fixType = 3
  g.lat = Math.round(state.lat * 1e7)
  g.lon = Math.round(state.lon * 1e7)
  g.alt = Math.round((homeAMSL + state.rel) * 1000)
  g.eph = 90
  g.epv = 150
  g.vel = Math.round(Math.hypot(state.vn, state.ve) * 100)
  g.cog = Math.round(state.heading * 100) % 36000
  g.satellitesVisible = 15
  g.altEllipsoid = g.alt - 20000 // geoid 20 m above the ellipsoid here
  g.hAcc = 1500
  g.vAcc = 2500
  g.velAcc = 0
  g.hdgAcc = 0
  g.yaw = 0
  send(g)
}

// fly moves toward the target at speed (flat earth, fine for a test).
const stepMs = 20
function fly() {
  const t = state.target
  if (!t) { state.vn = 0; state.ve = 0; return }
  const dn = (t.lat - state.lat) * 111320
  const de = (t.lon - state.lon) * 111320 * Math.cos(state.lat * Math.PI / 180)
  const dz = t.rel - state.rel
  const dist = Math.hypot(dn, de, dz)
  const step = speed * stepMs / 1000
  if (dist <= step) {
    state.lat = t.lat; state.lon = t.lon; state.rel = t.rel
    state.vn = 0; state.ve = 0
    return
  }
  const f = step / dist
  state.lat += (dn * f) / 111320
  state.lon += (de * f) / (111320 * Math.cos(state.lat * Math.PI / 180))
  state.rel += dz * f
  state.vn = dn / dist * speed
  state.ve = de / dist * speed
  state.heading = (Math.atan2(de, dn) * 180 / Math.PI + 360) % 360
}

function ack(command, result, hdr) {
  const a = new common.CommandAck()
  a.command = command
  a.result = result
  a.progress = 0
  a.resultParam2 = 0
  a.targetSystem = hdr.sysid
  a.targetComponent = hdr.compid
  send(a)
}

const ACCEPTED = 0, DENIED = 2, UNSUPPORTED = 3

function reposition(via, p2, lat, lon, alt, frame, hdr) {
  if (onReposition === 'ignore') return
  if (onReposition === 'deny') return ack(192, DENIED, hdr)
  if (onReposition === 'int-unsupported' && via === 'command_int') return ack(192, UNSUPPORTED, hdr)
  if (!px4 && !(p2 & 1) && state.customMode !== COPTER_GUIDED) return ack(192, DENIED, hdr)
  // ArduPilot: relative altitude (frame 6, and COMMAND_LONG); PX4: AMSL
  // (frame 5, and COMMAND_LONG).
  let rel = alt
  if (frame === 5 || (via === 'command_long' && px4)) rel = alt - homeAMSL
  state.target = { lat, lon, rel }
  state.customMode = px4 ? PX4_HOLD : COPTER_GUIDED
  ack(192, ACCEPTED, hdr)
}

function onPacket(packet) {
  const id = packet.header.msgid
  const hdr = packet.header
  if (id === 0) {
    const hb = packet.protocol.data(packet.payload, minimal.Heartbeat)
    if (!state.sawGCS) emit({ event: 'gcs_heartbeat', sysid: hdr.sysid, compid: hdr.compid, type: hb.type, autopilot: hb.autopilot })
    state.sawGCS = true
    return
  }
  if (id !== 75 && id !== 76) return
  const cmd = id === 75
    ? packet.protocol.data(packet.payload, common.CommandInt)
    : packet.protocol.data(packet.payload, common.CommandLong)
  const via = id === 75 ? 'command_int' : 'command_long'
  const p = [cmd._param1, cmd._param2, cmd._param3, cmd._param4, cmd._param5, cmd._param6, cmd._param7]
  emit({
    event: 'command', via, command: cmd.command, frame: id === 75 ? cmd.frame : null,
    confirmation: id === 76 ? cmd.confirmation : null,
    params: p.map((x) => (Number.isNaN(x) ? 'NaN' : x)),
    target_system: cmd.targetSystem, target_component: cmd.targetComponent,
    from_system: hdr.sysid, from_component: hdr.compid,
  })
  if (cmd.targetSystem !== sysid) return
  switch (cmd.command) {
    case 192: {
      const lat = id === 75 ? cmd._param5 / 1e7 : cmd._param5
      const lon = id === 75 ? cmd._param6 / 1e7 : cmd._param6
      return reposition(via, cmd._param2, lat, lon, cmd._param7, id === 75 ? cmd.frame : null, hdr)
    }
    case 176: // DO_SET_MODE
      if (onReposition === 'ignore') return
      state.customMode = px4 ? ((cmd._param2 << 16) | (cmd._param3 << 24)) : cmd._param2
      return ack(176, ACCEPTED, hdr)
    case 511: // SET_MESSAGE_INTERVAL
      if (cmd._param1 === 33 && cmd._param2 > 0) posHz = 1e6 / cmd._param2
      emit({ event: 'interval', msgid: cmd._param1, us: cmd._param2 })
      return ack(511, ACCEPTED, hdr)
    default:
      return ack(cmd.command, UNSUPPORTED, hdr)
  }
}

const input = new PassThrough()
const reader = input
  .pipe(new MavLinkPacketSplitter({}, { onCrcError: (b) => emit({ event: 'crc_error', hex: b.toString('hex') }) }))
  .pipe(new MavLinkPacketParser())
reader.on('data', onPacket)
sock.on('message', (b) => input.write(b))

sock.bind(0, '127.0.0.1', () => {
  emit({ event: 'ready', port: sock.address().port, sysid, autopilot })
  heartbeat()
  sysStatus()
  position()
  setInterval(heartbeat, 1000 / Number(args['hb-hz'] || 4))
  setInterval(sysStatus, 500)
  setInterval(fly, stepMs)
  let last = 0
  setInterval(() => {
    const now = Date.now()
    if (now - last >= 1000 / posHz) { last = now; position() }
  }, 10)
})

process.on('SIGTERM', () => process.exit(0))
