// A minimal OpenAI-compatible server for one local GGUF model, on node-llama-cpp 3.21.1.
//
// Why this and not llama-server: node-llama-cpp ships a prebuilt CPU binary through npm (installs
// in seconds), where llama-cpp-python compiles for over 20 minutes here and no llama.cpp release is
// reachable. It serves exactly what Vigil's openai-compatible provider uses:
//   GET  /v1/models            the model with its context window (`max_model_len`, vLLM's field)
//   POST /v1/chat/completions  messages, max_tokens, temperature, tools
// Tools go into the prompt as text in Qwen2.5's own chat-template shape (a <tools> block in the
// system turn; earlier calls as <tool_call> tags; results as <tool_response>), and the model's
// answer comes back as text: small models write tool calls as text, and Vigil's repair step
// (agent/llm/text_calls.py) is what reads them. Nothing is parsed or fixed here.
//
// Message text is tokenized with special tokens OFF, so a tool result containing "<|im_end|>" is
// plain text to the model, never a turn boundary; only the template's own markers are special.
// Requests are served one at a time (one context, 1 thread by default: the machine is shared).
// With --log FILE every exchange (request, response, server-side timings) is appended as a JSON
// line: bench.py reads tokens/s from it and record mode turns it into replay files.
//
//   node server.mjs --model FILE.gguf --port 8091 [--ctx 8192] [--threads 1] [--name NAME] [--log FILE]

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { getLlama, LlamaCompletion } from "node-llama-cpp";

function parseArgs(argv) {
  const args = { port: 8091, ctx: 8192, threads: 1, host: "127.0.0.1", log: null, model: null, name: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in args)) throw new Error(`unknown option --${key}`);
    args[key] = ["port", "ctx", "threads"].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!args.model) throw new Error("--model FILE.gguf is required");
  args.name = args.name || path.basename(args.model);
  return args;
}

const args = parseArgs(process.argv.slice(2));
const llama = await getLlama({ gpu: false, logLevel: "error" });
const model = await llama.loadModel({ modelPath: args.model });
const context = await model.createContext({ contextSize: args.ctx, threads: args.threads, sequences: 1 });
const sequence = context.getSequence();
const completion = new LlamaCompletion({ contextSequence: sequence });

const special = (text) => model.tokenize(text, true);
const plain = (text) => model.tokenize(text, false);

function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === "string" ? p : p.text || "")).join("");
  return content == null ? "" : JSON.stringify(content);
}

function toolsBlock(tools) {
  const lines = tools.map((t) => JSON.stringify(t));
  return "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
    + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
    + lines.join("\n")
    + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
    + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
    + "</tool_call>";
}

function assistantText(message) {
  let text = contentText(message.content);
  for (const call of message.tool_calls || []) {
    let argsObj = call.function?.arguments ?? "{}";
    try { argsObj = JSON.parse(argsObj); } catch { /* keep the string as the model sent it */ }
    text += `${text ? "\n" : ""}<tool_call>\n${JSON.stringify({ name: call.function?.name, arguments: argsObj })}\n</tool_call>`;
  }
  return text;
}

// Qwen2.5's ChatML layout: a list of [role, text] turns, consecutive tool results merged into one user turn.
function turns(messages, tools) {
  const out = [];
  let system = "";
  const rest = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") system += (system ? "\n\n" : "") + contentText(m.content);
    else rest.push(m);
  }
  if (!system) system = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
  if (tools && tools.length) system += toolsBlock(tools);
  out.push(["system", system]);
  for (const m of rest) {
    if (m.role === "tool") {
      const piece = `<tool_response>\n${contentText(m.content)}\n</tool_response>`;
      const last = out[out.length - 1];
      if (last[0] === "user" && last.toolResults) last[1] += "\n" + piece;
      else { const t = ["user", piece]; t.toolResults = true; out.push(t); }
    } else if (m.role === "assistant") {
      out.push(["assistant", assistantText(m)]);
    } else {
      out.push(["user", contentText(m.content)]);
    }
  }
  return out;
}

function promptTokens(messages, tools) {
  const tokens = [];
  for (const [role, text] of turns(messages, tools)) {
    tokens.push(...special(`<|im_start|>${role}\n`), ...plain(text), ...special("<|im_end|>\n"));
  }
  tokens.push(...special("<|im_start|>assistant\n"));
  return tokens;
}

let queue = Promise.resolve();
let served = 0;

async function chat(body) {
  const started = process.hrtime.bigint();
  const input = promptTokens(body.messages || [], body.tools || []);
  const room = args.ctx - input.length;
  if (room < 16) {
    return [400, { error: { type: "invalid_request_error", code: "context_length_exceeded",
      message: `prompt is ${input.length} tokens; the context window is ${args.ctx}` } }, null];
  }
  const maxTokens = Math.max(1, Math.min(Number(body.max_tokens || body.max_completion_tokens || 512), room - 1));
  let firstTokenAt = null;
  let generated = 0;
  const meta = await completion.generateCompletionWithMeta(input, {
    maxTokens,
    temperature: body.temperature ?? 0.2,
    seed: body.seed ?? 7,
    onToken: (tokens) => { if (firstTokenAt === null) firstTokenAt = process.hrtime.bigint(); generated += tokens.length; },
  });
  const ended = process.hrtime.bigint();
  const text = meta.response;
  const completionTokens = generated || plain(text).length;
  const finish = meta.metadata.stopReason === "maxTokens" ? "length" : "stop";
  const promptMs = Number(((firstTokenAt ?? ended) - started) / 1000000n);
  const genMs = Number((ended - (firstTokenAt ?? ended)) / 1000000n);
  served += 1;
  const response = {
    id: `chatcmpl-local-${served}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: args.name,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: finish }],
    usage: { prompt_tokens: input.length, completion_tokens: completionTokens,
      total_tokens: input.length + completionTokens },
  };
  const timings = { prompt_ms: promptMs, generation_ms: genMs, prompt_tokens: input.length,
    completion_tokens: completionTokens, threads: args.threads, ctx: args.ctx };
  return [200, response, timings];
}

function send(res, status, obj) {
  const payload = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, { "content-type": "application/json", "content-length": payload.length });
  res.end(payload);
}

function logExchange(entry) {
  if (args.log) fs.appendFileSync(args.log, JSON.stringify(entry) + "\n");
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const url = req.url.split("?")[0];
    if (req.method === "GET" && (url === "/v1/models" || url === "/models")) {
      return send(res, 200, { object: "list", data: [{ id: args.name, object: "model", owned_by: "local",
        max_model_len: args.ctx }] });
    }
    if (req.method === "GET" && url === "/health") return send(res, 200, { status: "ok" });
    if (req.method !== "POST" || !(url === "/v1/chat/completions" || url === "/chat/completions")) {
      return send(res, 404, { error: { type: "not_found", message: `no route ${req.method} ${url}` } });
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (!Array.isArray(body.messages)) throw new Error("messages must be a list");
    } catch (err) {
      return send(res, 400, { error: { type: "invalid_request_error", message: String(err.message || err) } });
    }
    queue = queue.then(async () => {
      try {
        const [status, response, timings] = await chat(body);
        logExchange({ request: body, status, response, timings });
        send(res, status, response);
      } catch (err) {
        const response = { error: { type: "server_error", message: String(err.message || err) } };
        logExchange({ request: body, status: 500, response, timings: null });
        send(res, 500, response);
      }
    });
  });
});

server.listen(args.port, args.host, () => {
  process.stdout.write(`ready http://${args.host}:${args.port}/v1 model=${args.name} ctx=${args.ctx} threads=${args.threads}\n`);
});
