// An ES module handler (.mjs) for tests/test_handler.c.
export const handler = async (event) => ({
  batchItemFailures: event.Records
    .filter((r) => Buffer.from(r.kinesis.data, 'base64').toString().includes('poison'))
    .map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
});
