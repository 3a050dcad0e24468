// Codec cross-check with node-mavlink, the independent implementation.
//
//   node vectors.js encode   prints one JSON line per frame node-mavlink
//                            serialises (MAVLink 1, 2 and signed 2) with
//                            the field values it put in
//   node vectors.js decode   reads hex frames, one per line, from stdin and
//                            prints the fields node-mavlink parses from them
//                            (and any CRC error)
'use strict'

const {
  MavLinkPacketSplitter, MavLinkPacketParser, MavLinkProtocolV1, MavLinkProtocolV2,
  MavLinkPacketSignature, minimal, common,
} = require('node-mavlink')
const { PassThrough } = require('stream')

const REGISTRY = { ...minimal.REGISTRY, ...common.REGISTRY }

// fields returns the wire fields of a data object by their XML names.
function fields(clazz, data) {
  const out = {}
  for (const f of clazz.FIELDS) {
    let v = data[f.name]
    if (typeof v === 'bigint') v = v.toString()
    else if (typeof v === 'number' && Number.isNaN(v)) v = 'NaN'
    else if (Array.isArray(v)) v = v.map((x) => (typeof x === 'bigint' ? x.toString() : x))
    out[f.source] = v
  }
  return out
}

function make(clazz, values) {
  const m = new clazz()
  for (const f of clazz.FIELDS) {
    if (f.length) m[f.name] = new Array(f.length).fill(0)
    else if (f.type.startsWith('uint64') || f.type.startsWith('int64')) m[f.name] = 0n
    else if (f.type === 'char[]') m[f.name] = ''
    else m[f.name] = 0
  }
  Object.assign(m, values)
  return m
}

const messages = [
  ['heartbeat', minimal.Heartbeat, { customMode: 4, type: 2, autopilot: 3, baseMode: 217, systemStatus: 4, mavlinkVersion: 3 }],
  ['heartbeat_px4', minimal.Heartbeat, { customMode: 0x03040000, type: 2, autopilot: 12, baseMode: 157, systemStatus: 4, mavlinkVersion: 3 }],
  ['sys_status', common.SysStatus, { onboardControlSensorsPresent: 0x1234567, load: 250, voltageBattery: 12600, currentBattery: 1520, batteryRemaining: 87, dropRateComm: 3, errorsComm: 1 }],
  ['sys_status_unknown_battery', common.SysStatus, { voltageBattery: 65535, currentBattery: -1, batteryRemaining: -1 }],
  ['gps_raw_int', common.GpsRawInt, { timeUsec: 123456789012n, fixType: 3, lat: 333000000, lon: 411000000, alt: 350000, eph: 90, epv: 150, vel: 1200, cog: 9000, satellitesVisible: 14, altEllipsoid: 330000, hAcc: 1500, vAcc: 2500 }],
  ['attitude', common.Attitude, { timeBootMs: 5000, roll: 0.015625, pitch: -0.03125, yaw: -1.5, rollspeed: 0.25, pitchspeed: 0.5, yawspeed: -0.125 }],
  ['global_position_int', common.GlobalPositionInt, { timeBootMs: 5000, lat: -353621474, lon: 1491651746, alt: 584000, relativeAlt: 100000, vx: 500, vy: -250, vz: 10, hdg: 27000 }],
  ['global_position_int_no_heading', common.GlobalPositionInt, { timeBootMs: 6000, lat: 333000000, lon: 411000000, alt: 350000, relativeAlt: 0, hdg: 65535 }],
  ['vfr_hud', common.VfrHud, { airspeed: 12.25, groundspeed: 11.5, heading: 270, throttle: 45, alt: 250.5, climb: -0.5 }],
  ['command_int', common.CommandInt, { targetSystem: 1, targetComponent: 1, frame: 6, command: 192, current: 0, autocontinue: 0, _param1: -1, _param2: 1, _param3: 0, _param4: NaN, _param5: 333100000, _param6: 411200000, _param7: 120 }],
  ['command_long', common.CommandLong, { targetSystem: 1, targetComponent: 1, command: 176, confirmation: 2, _param1: 1, _param2: 4 }],
  ['command_ack', common.CommandAck, { command: 192, result: 2 }],
  ['command_ack_ext', common.CommandAck, { command: 192, result: 0, progress: 100, resultParam2: -7, targetSystem: 255, targetComponent: 190 }],
  ['position_target_global_int', common.PositionTargetGlobalInt, { timeBootMs: 7, coordinateFrame: 6, typeMask: 0xDF8, latInt: 333100000, lonInt: 411200000, alt: 120 }],
  ['battery_status', common.BatteryStatus, { id: 0, batteryFunction: 1, type: 1, temperature: 3100, voltages: [4200, 4190, 4180, 65535, 65535, 65535, 65535, 65535, 65535, 65535], currentBattery: 1500, currentConsumed: 1200, energyConsumed: -1, batteryRemaining: 86, timeRemaining: 900 }],
  ['extended_sys_state', common.ExtendedSysState, { vtolState: 0, landedState: 2 }],
  ['statustext', common.StatusText, { severity: 4, text: 'PreArm: GPS not healthy' }],
  ['set_mode', common.SetMode, { targetSystem: 1, baseMode: 1, customMode: 4 }],
]

function encode() {
  const key = MavLinkPacketSignature.key('borderwatch test key')
  let seq = 0
  for (const [name, clazz, values] of messages) {
    const m = make(clazz, values)
    const want = fields(clazz, m)
    const v2 = new MavLinkProtocolV2(1, 1)
    const out = [['v2', v2.serialize(m, seq++ & 255)]]
    if (clazz.MSG_ID < 256) out.push(['v1', new MavLinkProtocolV1(1, 1).serialize(m, seq++ & 255)])
    const signer = new MavLinkProtocolV2(1, 1, MavLinkProtocolV2.IFLAG_SIGNED)
    out.push(['v2_signed', signer.sign(signer.serialize(m, seq++ & 255), 7, key, 1700000000000)])
    for (const [kind, buf] of out) {
      console.log(JSON.stringify({ name, kind, msgid: clazz.MSG_ID, hex: buf.toString('hex'), fields: want }))
    }
  }
}

function decode() {
  const input = new PassThrough()
  const reader = input
    .pipe(new MavLinkPacketSplitter({}, { onCrcError: (b) => console.log(JSON.stringify({ crc_error: b.toString('hex') })) }))
    .pipe(new MavLinkPacketParser())
  reader.on('data', (p) => {
    const clazz = REGISTRY[p.header.msgid]
    const out = { msgid: p.header.msgid, seq: p.header.seq, sysid: p.header.sysid, compid: p.header.compid, magic: p.header.magic }
    if (clazz) out.fields = fields(clazz, p.protocol.data(p.payload, clazz))
    console.log(JSON.stringify(out))
  })
  let text = ''
  process.stdin.on('data', (d) => { text += d })
  process.stdin.on('end', () => {
    for (const line of text.split('\n')) if (line.trim()) input.write(Buffer.from(line.trim(), 'hex'))
    input.end()
  })
}

if (process.argv[2] === 'encode') encode()
else if (process.argv[2] === 'decode') decode()
else { console.error('usage: node vectors.js encode|decode'); process.exit(2) }
