// kinesalite on loopback only (its command line listens on every interface), in memory.
// Usage: KINESALITE_PORT=4567 node server.js
"use strict";
const kinesalite = require("kinesalite");

const port = Number(process.env.KINESALITE_PORT || 4567);
const server = kinesalite({ createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50 });
server.listen(port, "127.0.0.1", () => console.log(`kinesalite listening on 127.0.0.1:${port}`));
