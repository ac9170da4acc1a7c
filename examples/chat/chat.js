// The five patterns with the wsmsg JavaScript client (clients/js), in one page.
import { connect } from "/wsmsg.browser.js";

const $ = (id) => document.getElementById(id);
function log(id, text) {
  const el = $(id);
  const line = document.createElement("div");
  line.textContent = new Date().toLocaleTimeString() + "  " + text;
  el.appendChild(line);
  el.scrollTop = el.scrollHeight;
}

$("name").value = "user" + Math.floor(Math.random() * 1000);
$("token").value = sessionStorage.getItem("chat.token") || "";

$("join").addEventListener("submit", async (e) => {
  e.preventDefault();
  const url = $("url").value.trim();
  const token = $("token").value.trim();
  const name = $("name").value.trim().replace(/[^A-Za-z0-9_-]/g, "") || "anon";
  sessionStorage.setItem("chat.token", token);
  $("state").textContent = "connecting...";
  try {
    await start(url, token, name);
    $("join").hidden = true;
    $("app").hidden = false;
    document.title = name + " · wsmsg chat";
  } catch (err) {
    $("state").textContent = "could not join: " + err.message;
  }
});

async function start(url, token, name) {
  // this user's own endpoint: the room (fanout), private notes (direct delivery) and rpc replies
  const me = await connect({ url, token, endpoint: "chat-user-" + name, window: 8 });
  me.onStateChange((s) => ($("state").textContent = s));
  await me.subscribe("chat.room", "*", (m) => log("room", m.data.from + ": " + m.data.text));
  await me.subscribe("dm." + name, "*", (m) => log("dms", "from " + m.data.from + ": " + m.data.text));
  // answering "who is here?" (pattern 4 and 5: the request's reply subject is presence.reply)
  await me.reply("chat.presence", "presence.request", () => name);

  // a worker on the shared endpoint: the jobs are split between the tabs
  const worker = await connect({ url, token, endpoint: "chat-workers", window: 1 });
  await worker.subscribe("chat.jobs", "*", async (m) => {
    await new Promise((r) => setTimeout(r, 300)); // some work
    log("jobs", name + " did job " + m.data.n + " (posted by " + m.data.by + ")");
  });

  $("say").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value;
    if (!text) return;
    me.publish("chat.room", "message", { from: name, text });
    $("text").value = "";
  });
  $("dm").addEventListener("submit", (e) => {
    e.preventDefault();
    const to = $("to").value.trim();
    const text = $("note").value;
    if (!to || !text) return;
    me.publish("dm." + to, "note", { from: name, text });
    log("dms", "to " + to + ": " + text);
    $("note").value = "";
  });
  let job = 0;
  $("addJobs").addEventListener("click", () => {
    for (let i = 0; i < 6; i++) me.publish("chat.jobs", "job", { n: ++job, by: name });
  });
  $("ask").addEventListener("click", async () => {
    try {
      const r = await me.request("chat.presence", "presence.request", null, { timeoutMs: 2000 });
      log("rpc", "first to answer: " + r.data);
    } catch (err) {
      log("rpc", "no answer: " + err.message);
    }
  });
  $("askAll").addEventListener("click", async () => {
    const replies = await me.requestAll("chat.presence", "presence.request", null, { expiryMs: 1000 });
    log("rpc", replies.length + " here: " + replies.map((m) => m.data).join(", "));
  });
}
