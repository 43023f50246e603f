// An order consumer that catches every error and logs it: the batch always
// "succeeds". Lambda checkpoints past the poison order; nothing retries it,
// nothing reaches the OnFailure queue. Only this log line knows it was lost.
const saveOrder = async (order) => {
  if (order.status === 'poison')
    throw new Error(`order ${order.id} cannot be processed`);
};

exports.handler = async (event) => {
  for (const record of event.Records) {
    const data = Buffer.from(record.kinesis.data, 'base64').toString();
    const order = data.startsWith('{') ? JSON.parse(data) : {};   // filler records: no fields
    try {
      await saveOrder(order);
      process.stdout.write(`processed ${record.kinesis.sequenceNumber} ${record.kinesis.partitionKey}\n`);
    } catch (err) {
      console.error(`could not save order: ${err.message}`);   // ... and on to the next one
    }
  }
  return { batchItemFailures: [] };
};
