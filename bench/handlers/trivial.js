// A trivial handler (bench/handler.sh): answers at once, without reading
// the event; what remains is the Runtime API round trip and the runtime's
// own work (the event parsed, the answer written).
exports.handler = async () => ({});
