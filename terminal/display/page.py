"""The display's one page: large type for a screen a metre away, a colour per kind of answer, and
a line of script that follows the server's events and says so when the gate service is gone."""

PAGE = """<!doctype html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style>
  html, body { margin: 0; height: 100%; cursor: none; }
  body {
    display: flex; flex-direction: column; justify-content: center; align-items: center;
    text-align: center; padding: 4vh 5vw; box-sizing: border-box;
    font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans", sans-serif;
    background: #12355b; color: #fff; transition: background-color 120ms;
  }
  body[data-tone="pass"] { background: #0b7a32; }
  body[data-tone="refuse"] { background: #b3261e; }
  body[data-tone="alert"] { background: #c25e00; }
  body[data-tone="fault"] { background: #3c3c3c; }
  body[data-tone="emergency"] { background: #00703c; }
  #headline { font-size: 9vw; font-weight: 700; line-height: 1.15; margin: 0 0 4vh; }
  #todo { font-size: 5vw; line-height: 1.3; margin: 0; max-width: 90vw; }
  #title { position: fixed; top: 2vh; left: 0; right: 0; font-size: 2.2vw; opacity: 0.75; }
</style>
</head>
<body data-kind="connecting" data-tone="fault">
<div id="title">{{title}}</div>
<h1 id="headline">{{connecting}}</h1>
<p id="todo"></p>
<script>
const TEXTS = {{texts}};
const headline = document.getElementById("headline");
const todo = document.getElementById("todo");
function show(screen) {
  headline.textContent = screen.headline;
  todo.textContent = screen.todo;
  document.body.dataset.kind = screen.kind;
  document.body.dataset.tone = screen.tone;
}
const events = new EventSource("events");
events.onmessage = (event) => show(JSON.parse(event.data));
// the browser retries by itself; meanwhile the worker is told the gate is not answering
events.onerror = () => show(TEXTS.gone);
</script>
</body>
</html>
"""
