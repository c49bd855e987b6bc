// A small press line on node-opcua — an OPC UA stack independent of asyncua — for the interoperability tests.
//
// Usage: node server.js PORT [--pki DIR] [--exit-on-stdin-close]
//   prints "READY opc.tcp://127.0.0.1:PORT/UA/PressLine" on stdout once the server accepts sessions.
//   --pki DIR: the server's certificate folder (default: <tmp>/iiot-node-opcua-pki-PORT, created on first use).
//   --exit-on-stdin-close: stop when the parent closes our stdin (a test runner that died cannot leak us).
//
// Address space (namespace "urn:iiot-assistant:test:press-line"), deliberately unlike the demo plant:
//   Objects/Factory/Press_Line/HydraulicPress_HP3   (event notifier; methods SetMode, ResetCounter)
//       OilTemperature  Double  AnalogItem, °C, EURange 0…120, historized (in-memory historian)
//       SystemPressure  Double  AnalogItem, bar, EURange 0…350
//       StrokeCount     UInt32  counts strokes (one a second in Automatic)
//       Mode            String  Automatic | Setup | Manual
//   Objects/Factory/Press_Line/Conveyor_CV7         (no events, no methods)
//       BeltSpeed       Double  AnalogItem, m/s, EURange 0…2.5
//       MotorCurrent    Double  AnalogItem, A, EURange 0…40
"use strict";

const {
  OPCUAServer, DataType, Variant, StatusCodes, standardUnits, makeEUInformation, SecurityPolicy, MessageSecurityMode,
  OPCUACertificateManager,
} = require("node-opcua");
const os = require("os");
const path = require("path");

const NAMESPACE_URI = "urn:iiot-assistant:test:press-line";
const MODES = ["Automatic", "Setup", "Manual"];

async function main() {
  const port = parseInt(process.argv[2] || "", 10);
  if (!Number.isInteger(port) || port <= 0 || port >= 65536) {
    console.error("usage: node server.js PORT [--pki DIR] [--exit-on-stdin-close]");
    process.exit(2);
  }
  const t0 = Date.now();
  const pkiFlag = process.argv.indexOf("--pki");
  const pki = pkiFlag > 0 ? process.argv[pkiFlag + 1] : path.join(os.tmpdir(), `iiot-node-opcua-pki-${port}`);
  const server = new OPCUAServer({
    port,
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    resourcePath: "/UA/PressLine",
    // a private certificate folder: parallel servers never share (or race on) one
    serverCertificateManager: new OPCUACertificateManager({ automaticallyAcceptUnknownCertificate: true, rootFolder: pki }),
    buildInfo: { productName: "IIoT Assistant test press line (node-opcua)", buildNumber: "1", buildDate: new Date() },
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  const ns = addressSpace.registerNamespace(NAMESPACE_URI);
  const id = (s) => `ns=${ns.index};s=${s}`;

  const factory = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Factory", nodeId: id("Factory") });
  const line = ns.addFolder(factory, {
    browseName: "Press_Line", nodeId: id("Press_Line"), description: "Sheet metal press line, hall 4",
  });
  const press = ns.addObject({
    organizedBy: line, browseName: "HydraulicPress_HP3", nodeId: id("HP3"), eventNotifier: 1,
    description: "Hydraulic press HP-3, 250 t, deep drawing",
  });
  const conveyor = ns.addObject({
    organizedBy: line, browseName: "Conveyor_CV7", nodeId: id("CV7"), description: "Outfeed belt conveyor after HP-3",
  });

  const state = {
    OilTemperature: 48.0, SystemPressure: 180.0, StrokeCount: 0, Mode: "Automatic", BeltSpeed: 1.2, MotorCurrent: 14.0,
  };
  const analog = (owner, name, description, unit, low, high) =>
    ns.addAnalogDataItem({
      componentOf: owner, browseName: name, nodeId: id(`${owner.browseName.name}.${name}`), description,
      dataType: "Double", engineeringUnitsRange: { low, high }, engineeringUnits: unit, minimumSamplingInterval: 100,
      value: new Variant({ dataType: DataType.Double, value: state[name] }),
    });

  const oil = analog(press, "OilTemperature", "Hydraulic oil temperature in the tank", standardUnits.degree_celsius, 0,
    120);
  const pressure = analog(press, "SystemPressure", "Main hydraulic system pressure", standardUnits.bar, 0, 350);
  const strokes = ns.addVariable({
    componentOf: press, browseName: "StrokeCount", nodeId: id("HP3.StrokeCount"), dataType: "UInt32",
    description: "Press strokes since the last counter reset", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.UInt32, value: state.StrokeCount }) },
  });
  ns.addVariable({
    componentOf: press, browseName: "Mode", nodeId: id("HP3.Mode"), dataType: "String",
    description: "Operating mode (Automatic, Setup, Manual)", minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.String, value: state.Mode }) },
  });
  const belt = analog(conveyor, "BeltSpeed", "Belt speed", makeEUInformation("MTS", "m/s", "metre per second"), 0,
    2.5);
  const current = analog(conveyor, "MotorCurrent", "Drive motor current", standardUnits.ampere, 0, 40);

  // history of the oil temperature, kept in memory by node-opcua's own historian
  addressSpace.installHistoricalDataNode(oil, { maxOnlineValues: 100000 });

  const setMode = ns.addMethod(press, {
    browseName: "SetMode", nodeId: id("HP3.SetMode"), description: "Switch the operating mode",
    inputArguments: [{ name: "Mode", description: "Automatic, Setup or Manual", dataType: DataType.String }],
    outputArguments: [{ name: "Result", description: "what changed", dataType: DataType.String }],
  });
  setMode.bindMethod((inputArguments, _context, callback) => {
    const wanted = inputArguments[0].value;
    if (!MODES.includes(wanted)) {
      return callback(null, { statusCode: StatusCodes.BadInvalidArgument });
    }
    const before = state.Mode;
    state.Mode = wanted;
    callback(null, {
      statusCode: StatusCodes.Good,
      outputArguments: [{ dataType: DataType.String, value: `HP-3 mode changed from ${before} to ${wanted}` }],
    });
  });
  const resetCounter = ns.addMethod(press, {
    browseName: "ResetCounter", nodeId: id("HP3.ResetCounter"), description: "Reset the stroke counter",
    inputArguments: [],
    outputArguments: [{ name: "PreviousCount", description: "the count before the reset", dataType: DataType.UInt32 }],
  });
  resetCounter.bindMethod((_inputArguments, _context, callback) => {
    const before = state.StrokeCount;
    state.StrokeCount = 0;
    callback(null, { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.UInt32, value: before }] });
  });

  // values change over time; setValueFromSource feeds the historian of OilTemperature
  let t = 0;
  setInterval(() => {
    t += 0.2;
    const running = state.Mode === "Automatic";
    state.OilTemperature = 48 + 6 * Math.sin(t / 8) + (Math.random() - 0.5) * 0.4;
    state.SystemPressure = (running ? 180 + 40 * Math.abs(Math.sin(t * 2)) : 20) + (Math.random() - 0.5);
    state.BeltSpeed = running ? 1.2 + (Math.random() - 0.5) * 0.02 : 0;
    state.MotorCurrent = running ? 14 + (Math.random() - 0.5) * 0.5 : 0.3;
    if (running && Math.round(t * 10) % 5 === 0) {
      state.StrokeCount += 1;
    }
    oil.setValueFromSource({ dataType: DataType.Double, value: state.OilTemperature });
    pressure.setValueFromSource({ dataType: DataType.Double, value: state.SystemPressure });
    belt.setValueFromSource({ dataType: DataType.Double, value: state.BeltSpeed });
    current.setValueFromSource({ dataType: DataType.Double, value: state.MotorCurrent });
    strokes.touchValue();
  }, 200);

  await server.start();
  const stop = async () => {
    await server.shutdown(100);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (process.argv.includes("--exit-on-stdin-close")) {
    process.stdin.on("end", stop);
    process.stdin.on("error", stop);
    process.stdin.resume();
  }
  console.log(`READY ${server.getEndpointUrl()} (started in ${Date.now() - t0} ms)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
