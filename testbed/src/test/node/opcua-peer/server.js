// An independent OPC UA server (node-opcua) for the gateway's peer test: Objects/Peer/pump-9/{flow,
// bearing_temperature} as AnalogItems with EngineeringUnits, values changing every 100 ms, security None and
// Basic256Sha256 Sign / SignAndEncrypt (any client certificate accepted), anonymous.
// Usage: node server.js <port> <pki-dir>. Prints "READY <endpoint> <server certificate file>" when listening.
// Standard input: "add <asset>" adds Objects/Peer/<asset>/flow (300..304 m³/h), "remove <asset>" deletes it; each
// in one model change transaction, so node-opcua raises one GeneralModelChangeEvent from the Server object (the
// Peer folder has a NodeVersion). Answers "ADDED <asset>", "REMOVED <asset>" or "ERROR <message>".
"use strict";
const path = require("path");
const fs = require("fs");
const {
    OPCUAServer, OPCUACertificateManager, Variant, DataType, MessageSecurityMode, SecurityPolicy, standardUnits
} = require("node-opcua");

const port = parseInt(process.argv[2], 10);
const pki = path.resolve(process.argv[3] || "pki");

async function main() {
    const certificateManager = new OPCUACertificateManager({
        rootFolder: pki, automaticallyAcceptUnknownCertificate: true
    });
    await certificateManager.initialize();
    const server = new OPCUAServer({
        port,
        resourcePath: "/peer",
        hostname: "localhost",
        alternateHostname: ["127.0.0.1"],
        serverCertificateManager: certificateManager,
        securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
        securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
        allowAnonymous: true,
        buildInfo: { productName: "edgegateway-opcua-peer", buildNumber: "1" },
        serverInfo: { applicationUri: "urn:edgegateway:testbed:node-opcua-peer" }
    });
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    const ns = addressSpace.getOwnNamespace();
    // a NodeVersion makes node-opcua report changes below the folder as model change events
    const peer = ns.addFolder(addressSpace.rootFolder.objects, { browseName: "Peer", nodeVersion: "0" });
    const pump = ns.addFolder(peer, { browseName: "pump-9" });
    let tick = 0;
    // flow cycles 120..124 m³/h, bearing temperature 70.0 / 70.5 / 71.0 °C
    const flow = () => 120 + (tick % 5);
    const temperature = () => 70 + (tick % 3) * 0.5;
    const flowNode = ns.addAnalogDataItem({
        componentOf: pump, browseName: "flow", nodeId: "s=Peer/pump-9/flow", dataType: "Double",
        engineeringUnitsRange: { low: 0, high: 200 }, engineeringUnits: standardUnits.cubic_metre_per_hour,
        value: new Variant({ dataType: DataType.Double, value: flow() })
    });
    const temperatureNode = ns.addAnalogDataItem({
        componentOf: pump, browseName: "bearing_temperature", nodeId: "s=Peer/pump-9/bearing_temperature",
        dataType: "Double", engineeringUnitsRange: { low: -50, high: 200 },
        engineeringUnits: standardUnits.degree_celsius,
        value: new Variant({ dataType: DataType.Double, value: temperature() })
    });
    const added = new Map(); // asset -> { folder, flow }
    setInterval(() => {
        tick++;
        flowNode.setValueFromSource(new Variant({ dataType: DataType.Double, value: flow() }));
        temperatureNode.setValueFromSource(new Variant({ dataType: DataType.Double, value: temperature() }));
        for (const a of added.values()) {
            a.flow.setValueFromSource(new Variant({ dataType: DataType.Double, value: 180 + flow() }));
        }
    }, 100);
    const change = (verb, asset) => {
        if (verb === "add" && asset && !added.has(asset)) {
            addressSpace.modelChangeTransaction(() => {
                const folder = ns.addFolder(peer, { browseName: asset });
                const node = ns.addAnalogDataItem({
                    componentOf: folder, browseName: "flow", nodeId: "s=Peer/" + asset + "/flow", dataType: "Double",
                    engineeringUnitsRange: { low: 0, high: 400 }, engineeringUnits: standardUnits.cubic_metre_per_hour,
                    value: new Variant({ dataType: DataType.Double, value: 180 + flow() })
                });
                added.set(asset, { folder, flow: node });
            });
            return "ADDED " + asset;
        }
        if (verb === "remove" && added.has(asset)) {
            const a = added.get(asset);
            added.delete(asset);
            addressSpace.modelChangeTransaction(() => {
                ns.deleteNode(a.flow);
                ns.deleteNode(a.folder);
            });
            return "REMOVED " + asset;
        }
        return "ERROR cannot " + verb + " '" + asset + "' (assets added: " + [...added.keys()] + ")";
    };
    require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
        const [verb, asset] = line.trim().split(/\s+/);
        try {
            console.log(change(verb, asset));
        } catch (e) {
            console.log("ERROR " + e.message);
        }
    });
    await server.start();
    const cert = path.join(pki, "peer-server-cert.der");
    fs.writeFileSync(cert, server.getCertificate());
    console.log("READY " + server.getEndpointUrl() + " " + cert);
    const stop = async () => {
        await server.shutdown(0);
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

main().catch((e) => {
    console.error("peer server failed:", e);
    process.exit(1);
});
