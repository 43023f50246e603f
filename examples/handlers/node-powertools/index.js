// An order consumer on Powertools for AWS Lambda's batch processor, as its
// documentation shows it for Kinesis: every record goes through
// recordHandler; those that throw are reported in batchItemFailures, and
// when every record of the batch fails, processPartialResponse throws
// FullBatchFailureError instead (a function error: the batch is retried
// whole, R5).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';

const processor = new BatchProcessor(EventType.KinesisDataStreams);

const recordHandler = async (record) => {
  const data = Buffer.from(record.kinesis.data, 'base64').toString();
  const order = data.startsWith('{') ? JSON.parse(data) : {};   // filler records: no fields
  if (order.status === 'poison')
    throw new Error(`order ${order.id} cannot be processed`);
  process.stdout.write(`processed ${record.kinesis.sequenceNumber} ${record.kinesis.partitionKey}\n`);
};

export const handler = async (event, context) =>
  processPartialResponse(event, recordHandler, processor, { context });
