// Preloaded into a node server (node --require loopback.cjs ...): listen(port) binds 127.0.0.1 only,
// so a test server is never reachable from another machine.
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === "number" || typeof args[0] === "string") && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
