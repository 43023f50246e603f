// An order consumer that saves each order as it goes and lets an error
// escape: the invocation fails after it saved the orders before the poison
// one. Lambda retries the whole batch, so those orders are saved again at
// every attempt, and when the retries run out the whole batch goes to the
// OnFailure queue, orders already saved included.
const saveOrder = async (sequenceNumber, order) => {
  if (order.status === 'poison')
    throw new Error(`order ${order.id} cannot be processed`);
  process.stdout.write(`saved ${sequenceNumber}\n`);
};

exports.handler = async (event) => {
  for (const record of event.Records) {
    const data = Buffer.from(record.kinesis.data, 'base64').toString();
    const order = data.startsWith('{') ? JSON.parse(data) : {};   // filler records: no fields
    await saveOrder(record.kinesis.sequenceNumber, order);
  }
};
