// CommonJS handlers for tests/test_handler.c (issue 12 items 2 and 5).
console.log('init: index.js loaded');
let calls = 0;

function failures(event) {
  const out = [];
  for (const r of event.Records) {
    const data = Buffer.from(r.kinesis.data, 'base64').toString();
    if (data.includes('poison'))
      out.push({ itemIdentifier: r.kinesis.sequenceNumber });
  }
  return out;
}

// AWS's partial batch response, async.
exports.partial = async (event) => {
  calls++;
  console.log('records', event.Records.length);
  process.stderr.write('raw stderr line\n');
  return { batchItemFailures: failures(event) };
};

// A callback handler: with callbackWaitsForEmptyEventLoop (the default) the
// answer waits for the timer.
exports.callback = (event, context, callback) => {
  setTimeout(() => console.log('timer fired'), 100);
  callback(null, { batchItemFailures: failures(event), waited: context.callbackWaitsForEmptyEventLoop });
};

// The same, not waiting: the timer's line comes after the answer.
exports.nowait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log('late timer'), 300);
  callback(null, { batchItemFailures: [] });
};

exports.throws = async () => {
  throw new TypeError('cannot read the record');
};

exports.crash = () => {
  console.log('exiting');
  process.exit(2);
};

exports.hang = () => new Promise(() => setInterval(() => {}, 1000));

exports.context = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  invokedFunctionArn: context.invokedFunctionArn,
  logGroupName: context.logGroupName,
  waits: context.callbackWaitsForEmptyEventLoop,
  remainingOk: context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 3000,
  calls: ++calls,
});
