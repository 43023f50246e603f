// An order consumer written like a command-line script: on an error it
// logs and calls process.exit(1). On Lambda that ends the runtime:
// Runtime.ExitError, the whole batch retried, and each retry pays a cold
// start in a new execution environment.
exports.handler = async (event) => {
  for (const record of event.Records) {
    const data = Buffer.from(record.kinesis.data, 'base64').toString();
    const order = data.startsWith('{') ? JSON.parse(data) : {};   // filler records: no fields
    if (order.status === 'poison') {
      console.error(`fatal: order ${order.id} cannot be processed`);
      process.exit(1);
    }
    process.stdout.write(`processed ${record.kinesis.sequenceNumber} ${record.kinesis.partitionKey}\n`);
  }
  return { batchItemFailures: [] };
};
