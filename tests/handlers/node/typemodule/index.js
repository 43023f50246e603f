// An ES module in a .js file under "type": "module", for tests/test_handler.c.
export async function handler(event) {
  return { kind: 'esm-js', count: event.Records.length };
}
