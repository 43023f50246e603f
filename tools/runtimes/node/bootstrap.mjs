// esmsim's Node.js runtime (Node 18+): runs a Lambda handler against the
// Lambda Runtime API (SPEC section 4), with no dependency.
//
//     node tools/runtimes/node/bootstrap.mjs [dir/module.function]
//
// The handler is the argument, else $_HANDLER, resolved from $LAMBDA_TASK_ROOT
// (the working directory) as AWS's Node runtime does: module, module.js
// (CommonJS, or an ES module under a package.json of "type": "module"),
// module.mjs, module.cjs; the function may be a dotted path. It may be async
// (its promise settles the invocation) or take a callback (callback(err,
// result), context.succeed/fail/done; with context.callbackWaitsForEmptyEventLoop
// true, the default, the answer is posted once the event loop is empty). The
// context has what Node's runtime gives: awsRequestId, functionName,
// functionVersion, invokedFunctionArn, memoryLimitInMB, logGroupName,
// logStreamName, getRemainingTimeInMillis(), callbackWaitsForEmptyEventLoop.
// console writes "time\trequestId\tLEVEL\tmessage" lines to stdout, as on
// Lambda. Errors are posted as {"errorType","errorMessage","trace"}; a handler
// that cannot be loaded goes to /init/error (Runtime.ImportModuleError,
// Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound,
// Runtime.MalformedHandlerName) and the process exits.

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
const [apiHost, apiPort] = API.split(':');
const agent = new http.Agent({ keepAlive: true });   // idle sockets do not hold the process

// ---- the Runtime API -----------------------------------------------------

function call(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: apiHost, port: apiPort, path: `/2018-06-01${route}`, method, agent,
      headers: body === undefined ? headers
        : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(route, body, errorType) {
  const res = await call('POST', route, body, errorType === undefined ? {} : { [ERROR_TYPE_HEADER]: errorType });
  if (res.status !== 202)
    process.stderr.write(`[ERROR] ${route}: HTTP ${res.status}: ${res.body}\n`);
}

// ---- errors, as AWS's runtime shapes them -----------------------------------

class RuntimeError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

function toRapid(error) {
  if (error instanceof Error || (error && typeof error.name === 'string' &&
      typeof error.message === 'string' && typeof error.stack === 'string')) {
    return { errorType: error.name, errorMessage: error.message,
             trace: typeof error.stack === 'string' ? error.stack.split('\n') : [] };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// ---- console ---------------------------------------------------------------

let currentRequestId;   // "undefined" in lines printed before the first event, as on Lambda

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
      process.stdout.write(line.replace(/\n/g, '\r') + '\n');
    };
  }
}

function logError(title, error) {
  const r = toRapid(error);
  console.error(`${title} \t${JSON.stringify({ errorType: r.errorType, errorMessage: r.errorMessage, stack: r.trace })}`);
}

// ---- loading the handler ---------------------------------------------------------

function typeModule(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    if (d.endsWith(`${path.sep}node_modules`))
      return false;
    const pj = path.join(d, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (d === path.dirname(d))
      return false;
  }
}

async function loadModule(appRoot, moduleRoot, name) {
  const base = path.resolve(appRoot, moduleRoot, name);
  const require = createRequire(path.join(appRoot, 'index.js'));
  const exists = (ext) => fs.existsSync(base + ext) && fs.statSync(base + ext).isFile();
  if (exists(''))
    return require(base);
  if (exists('.js'))
    return typeModule(path.dirname(base)) ? import(pathToFileURL(base + '.js').href) : require(base + '.js');
  if (exists('.mjs'))
    return import(pathToFileURL(base + '.mjs').href);
  if (exists('.cjs'))
    return require(base + '.cjs');
  return require(require.resolve(name, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler(appRoot, full) {
  if (full.includes('..'))
    throw new RuntimeError('Runtime.MalformedHandlerName', `'${full}' is not a valid handler name.`);
  const moduleAndFunction = path.basename(full);
  const moduleRoot = full.slice(0, full.length - moduleAndFunction.length);
  const match = moduleAndFunction.match(/^([^.]*)\.(.*)$/);
  if (!match)
    throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  let mod;
  try {
    mod = await loadModule(appRoot, moduleRoot, match[1]);
  } catch (e) {
    if (e instanceof SyntaxError)
      throw new RuntimeError('Runtime.UserCodeSyntaxError', String(e));
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND'))
      throw new RuntimeError('Runtime.ImportModuleError', String(e));
    throw e;
  }
  const fn = match[2].split('.').reduce((o, key) => o && o[key], mod);
  if (!fn)
    throw new RuntimeError('Runtime.HandlerNotFound', `${full} is undefined or not exported`);
  if (typeof fn !== 'function')
    throw new RuntimeError('Runtime.HandlerNotFound', `${full} is not a function`);
  return fn;
}

// ---- one invocation -------------------------------------------------------------------

// Called when the event loop empties: the pending callback answer, if any.
let beforeExit = () => {};
process.on('beforeExit', () => beforeExit());

let failInvocation = null;   // posts an uncaught error of the running invocation, then exits

async function next(handler) {
  const res = await call('GET', '/runtime/invocation/next');
  if (res.status !== 200)
    throw new Error(`invocation/next: HTTP ${res.status}: ${res.body}`);
  const h = res.headers;
  const id = h['lambda-runtime-aws-request-id'];
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  currentRequestId = id;
  if (h['lambda-runtime-trace-id'])
    process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
  else
    delete process.env._X_AMZN_TRACE_ID;

  let answered = false;
  const scheduleNext = () => setImmediate(() => next(handler).catch(fatal));
  const postResult = (result) => {
    let body;
    try {
      body = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      return postError(new RuntimeError('Runtime.MarshalError', `Unable to stringify response body: ${e.message}`));
    }
    post(`/runtime/invocation/${encodeURIComponent(id)}/response`, body).then(scheduleNext, fatal);
  };
  const postError = (err) => {
    logError('Invoke Error', err);
    const r = toRapid(err);
    post(`/runtime/invocation/${encodeURIComponent(id)}/error`, JSON.stringify(r), r.errorType)
      .then(scheduleNext, fatal);
  };
  const done = (err, result) => {
    if (answered) {
      console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
      return;
    }
    answered = true;
    beforeExit = () => {};
    if (err !== undefined && err !== null)
      postError(err);
    else
      postResult(result);
  };
  let waitForEmptyEventLoop = true;
  const callback = (err, result) => {
    if (answered)
      return;
    if (err !== undefined && err !== null || !waitForEmptyEventLoop)
      return done(err, result);
    beforeExit = () => setImmediate(() => done(null, result));   // AWS: once the loop is empty
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop; },
    set callbackWaitsForEmptyEventLoop(v) { waitForEmptyEventLoop = v; },
    succeed: (result) => done(null, result),
    fail: (err) => done(err === undefined || err === null ? 'handled' : err),
    done,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: undefined,
    identity: undefined,
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    awsRequestId: id,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  failInvocation = (err, code) => {
    answered = true;
    const r = toRapid(err);
    post(`/runtime/invocation/${encodeURIComponent(id)}/error`, JSON.stringify(r), r.errorType)
      .finally(() => process.exit(code));
  };
  // Neither a callback nor a promise: what Lambda does when the loop empties.
  const isAsync = handler.constructor && handler.constructor.name === 'AsyncFunction';
  beforeExit = () => {
    if (isAsync)
      done(new RuntimeError('Runtime.NodeJsExit', 'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled.'));
    else
      done(null, null);
  };
  try {
    const event = JSON.parse(res.body);
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function')
      result.then(context.succeed, context.fail);
  } catch (err) {
    callback(err);
  }
}

function fatal(err) {
  process.stderr.write(`esmsim node bootstrap: ${err && err.stack || err}\n`);
  process.exit(1);
}

// ---- start ----------------------------------------------------------------------------

async function initFailed(err, code) {
  logError('Init Error', err);
  const r = toRapid(err);
  try {
    await post('/runtime/init/error', JSON.stringify(r), r.errorType);
  } finally {
    process.exit(code);
  }
}

patchConsole();
process.on('uncaughtException', (err) => {
  logError('Uncaught Exception', err);
  if (failInvocation)
    failInvocation(err, 129);
  else
    initFailed(err, 129);
});
process.on('unhandledRejection', (reason) => {
  const err = new RuntimeError('Runtime.UnhandledPromiseRejection', String(reason));
  logError('Unhandled Promise Rejection', err);
  if (failInvocation)
    failInvocation(err, 128);
  else
    initFailed(err, 128);
});

const handlerName = process.argv[2] || process.env._HANDLER || '';
const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
let handler;
try {
  handler = await loadHandler(appRoot, handlerName);
} catch (err) {
  await initFailed(err, 1);
}
next(handler).catch(fatal);
