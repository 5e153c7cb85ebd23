"""The chat page with its deal panel in a browser: opening it, reading the panel (shared
by the local-mode and the signed-in browser tests)."""

DESKTOP = {"width": 1366, "height": 1000}
PHONE = {"width": 390, "height": 844}


class Requests:
    """Every URL the page asked for: none may leave the machine."""

    def __init__(self, page):
        self.urls = []
        page.on("request", lambda request: self.urls.append(request.url))

    def outside(self):
        return [u for u in self.urls if not u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:"))]


def open_page(browser, url, viewport=DESKTOP, context=None, wait=True):
    """A page of ``url`` in a new browser context (its own storage: another session),
    or in ``context`` (set up by the caller, e.g. with a sign-in token)."""
    context = context or browser.new_context(viewport=viewport)
    # The print dialog would wait for a person: count the calls instead.
    context.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    # Every panel the page is given, as drawn: what a salesperson could ever see.
    context.add_init_script(
        "window.panelsDrawn = []; let kept;"
        "Object.defineProperty(window, 'DealPanel', {get: () => kept, set: (given) => {"
        " const draw = given.draw; kept = given;"
        " given.draw = (state, handlers) => {"
        "  window.panelsDrawn.push(JSON.stringify(state)); return draw(state, handlers); }; }});"
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.requests = Requests(page)
    page.goto(url)
    if wait:
        page.wait_for_selector('#status[data-state="connected"]')
    return page


def panel_shows(page, company):
    page.wait_for_function(
        "c => { const h = document.querySelector('#deal h2'); return h && h.textContent === c; }",
        arg=company,
    )


def wait_for(page, script, arg=None):
    """Waits until ``script`` (a JS function of ``arg``) is true; says what the panel
    shows otherwise."""
    try:
        page.wait_for_function(script, arg=arg)
    except Exception as error:
        shown = page.evaluate("() => document.querySelector('#panel').innerText")
        chat = page.evaluate("() => document.querySelector('#log').innerText")
        raise AssertionError(f"{script} never held; panel:\n{shown}\nchat:\n{chat}") from error


def fact(page, key):
    return page.evaluate(
        "k => { const f = document.querySelector(`#deal .fact[data-fact='${k}']`);"
        " return {value: f.querySelector('dd').firstChild.textContent,"
        " changed: f.classList.contains('changed')}; }",
        key,
    )


def lane_names(page, role):
    return page.evaluate(
        "r => [...document.querySelectorAll(`#deal .lane[data-role='${r}'] .card .name`)]"
        ".map(n => n.textContent)",
        role,
    )


def in_lane(page, role, name):
    wait_for(
        page,
        "([r, n]) => [...document.querySelectorAll(`#deal .lane[data-role='${r}'] .card .name`)]"
        ".some(e => e.textContent === n)",
        [role, name],
    )


def deals_listed(page):
    return page.evaluate(
        "() => [...document.querySelectorAll('#deals .deal-line .company')].map(e => e.textContent)"
    )
