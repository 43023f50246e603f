// The work AWS's sample leaves to its user ("TODO: Do interesting work based
// on the new data"): an order is the record's data as JSON, and a poison
// order cannot be processed. Generated records carry filler bytes: an order
// without fields.
exports.processOrder = async (data) => {
  const order = data.startsWith('{') ? JSON.parse(data) : {};
  if (order.status === 'poison')
    throw new Error(`order ${order.id} cannot be processed`);
};
