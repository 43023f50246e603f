// An order consumer that works through the whole batch and reports every
// record that failed, as Powertools' batch processor does (R7): Lambda
// retries from the lowest, so the records after it that succeeded are
// handled again (reprocessed_records).
exports.handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    const data = Buffer.from(record.kinesis.data, 'base64').toString();
    // generated records carry filler bytes: an order without fields
    const order = data.startsWith('{') ? JSON.parse(data) : {};
    if (order.status === 'poison') {
      process.stdout.write(`failed ${record.kinesis.sequenceNumber} order ${order.id}\n`);
      batchItemFailures.push({ itemIdentifier: record.kinesis.sequenceNumber });
    } else {
      process.stdout.write(`processed ${record.kinesis.sequenceNumber} ${record.kinesis.partitionKey}\n`);
    }
  }
  return { batchItemFailures };
};
