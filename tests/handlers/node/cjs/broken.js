// An init error: a syntax error (Runtime.UserCodeSyntaxError).
exports.handler = async (event) => { return {;
