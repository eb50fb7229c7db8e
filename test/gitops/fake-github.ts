// A minimal stand-in for the few GitHub REST endpoints the action calls (comments, issues, labels),
// on a loopback port, so the sticky-comment and drift-issue flows run end to end in tests.
import { createServer, type Server } from "node:http";

export interface Comment {
  id: number;
  issue: number;
  body: string;
}
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
}

export interface FakeGitHub {
  url: string;
  token: string;
  comments: Comment[];
  issues: Issue[];
  labels: string[];
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeGitHub(repo: string): Promise<FakeGitHub> {
  const state = { comments: [] as Comment[], issues: [] as Issue[], labels: [] as string[], requests: [] as string[] };
  let nextId = 1000;
  const token = "fake-token";
  const base = `/repos/${repo}`;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname;
      const body = raw ? JSON.parse(raw) : {};
      state.requests.push(`${req.method} ${path}`);
      const send = (status: number, data?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(data === undefined ? "" : JSON.stringify(data));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: "Bad credentials" });
      const page = Number(url.searchParams.get("page") ?? 1);
      const per = Number(url.searchParams.get("per_page") ?? 30);
      const paged = <T>(items: T[]) => items.slice((page - 1) * per, page * per);
      const onIssue = new RegExp(`^${base}/issues/(\\d+)/comments$`).exec(path);
      const comment = new RegExp(`^${base}/issues/comments/(\\d+)$`).exec(path);
      const issueAt = new RegExp(`^${base}/issues/(\\d+)$`).exec(path);
      if (onIssue) {
        const issue = Number(onIssue[1]);
        if (req.method === "GET") return send(200, paged(state.comments.filter((c) => c.issue === issue)));
        if (req.method === "POST") {
          const c = { id: nextId++, issue, body: body.body };
          state.comments.push(c);
          return send(201, c);
        }
      }
      if (comment && req.method === "PATCH") {
        const c = state.comments.find((x) => x.id === Number(comment[1]));
        if (!c) return send(404, { message: "Not Found" });
        c.body = body.body;
        return send(200, c);
      }
      if (path === `${base}/issues` && req.method === "GET") {
        const label = url.searchParams.get("labels");
        const open = state.issues.filter(
          (i) => i.state === url.searchParams.get("state") && (!label || i.labels.includes(label)),
        );
        return send(200, paged(open));
      }
      if (path === `${base}/issues` && req.method === "POST") {
        const i: Issue = { number: nextId++, title: body.title, body: body.body, state: "open", labels: body.labels ?? [] };
        state.issues.push(i);
        return send(201, i);
      }
      if (issueAt && req.method === "PATCH") {
        const i = state.issues.find((x) => x.number === Number(issueAt[1]));
        if (!i) return send(404, { message: "Not Found" });
        if (body.body !== undefined) i.body = body.body;
        if (body.state !== undefined) i.state = body.state;
        return send(200, i);
      }
      if (path === `${base}/labels` && req.method === "POST") {
        if (state.labels.includes(body.name)) return send(422, { message: "Validation Failed" });
        state.labels.push(body.name);
        return send(201, { name: body.name });
      }
      return send(404, { message: `not faked: ${req.method} ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ...state,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
