// dealcoach deal panel: draws the deal the conversation is about beside the chat.
// The server sends the panel as data on the chat's own socket.io session (a custom
// payload, {dealcoach_panel: ...}: see dealcoach/coaching/panel.py for its fields), with
// every word already chosen, labels included (knowledge/web_page.yml). This file only
// lays it out, always with textContent: nothing the server sends is read as HTML.
// window.DealPanel.draw(state, handlers) redraws everything; handlers.open(deal) is
// called when a deal of "my deals" is chosen, handlers.print() for "print brief".
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // A small word beside what changed: marked by more than colour.
  function changedMark(labels) {
    return el("span", "changed-mark", labels.changed);
  }

  function drawFacts(panel, labels) {
    var section = el("section", "facts");
    section.setAttribute("aria-label", labels.facts);
    section.appendChild(el("h3", null, labels.facts));
    var list = el("dl");
    panel.facts.forEach(function (fact) {
      var row = el("div", "fact" + (fact.known ? "" : " unknown") + (fact.changed ? " changed" : ""));
      row.dataset.fact = fact.key;
      row.appendChild(el("dt", null, fact.label));
      var value = el("dd", null, fact.value);
      if (fact.changed) { value.appendChild(changedMark(labels)); }
      row.appendChild(value);
      list.appendChild(row);
    });
    section.appendChild(list);
    return section;
  }

  function drawStages(panel, labels) {
    var steps = el("ol", "stages");
    steps.setAttribute("aria-label", labels.buying_stage);
    panel.stages.forEach(function (stage) {
      var step = el("li", "stage" + (stage.reached ? " reached" : "") + (stage.current ? " current" : ""));
      step.dataset.stage = stage.key;
      step.appendChild(el("span", "stage-name", stage.label));
      if (stage.current) {
        step.setAttribute("aria-current", "step");
        step.setAttribute("title", labels.stage_current);
      } else if (stage.reached) {
        step.setAttribute("title", labels.stage_reached);
      }
      steps.appendChild(step);
    });
    return steps;
  }

  function drawCard(card, labels) {
    var item = el("li", "card stance-" + card.stance + (card.changed ? " changed" : ""));
    item.dataset.person = card.key;
    item.appendChild(el("span", "name", card.name));
    if (card.title) { item.appendChild(el("span", "title", card.title)); }
    var badges = el("span", "badges");
    badges.appendChild(el("span", "stance", card.stance_label));
    badges.appendChild(el("span", "met met-" + card.met, card.met_label));
    item.appendChild(badges);
    if (card.assumed) { item.appendChild(el("span", "assumed", labels.assumed)); }
    if (card.changed) { item.appendChild(changedMark(labels)); }
    return item;
  }

  function drawMap(panel, labels) {
    var section = el("section", "map");
    section.setAttribute("aria-label", labels.map);
    section.appendChild(el("h3", null, labels.map));
    var lanes = el("div", "lanes");
    panel.lanes.forEach(function (lane) {
      var column = el("section", "lane" + (lane.empty_seat ? " empty" : "") + (lane.key ? " key-role" : ""));
      column.dataset.role = lane.role;
      column.setAttribute("aria-label", lane.label);
      column.appendChild(el("h4", null, lane.label));
      var cards = el("ul", "cards");
      lane.cards.forEach(function (card) { cards.appendChild(drawCard(card, labels)); });
      if (lane.empty_seat) { cards.appendChild(el("li", "empty-seat", labels.empty_seat)); }
      column.appendChild(cards);
      lanes.appendChild(column);
    });
    section.appendChild(lanes);
    return section;
  }

  function drawFlags(panel, labels) {
    var section = el("section", "flags");
    section.setAttribute("aria-label", labels.flags);
    section.appendChild(el("h3", null, labels.flags));
    if (!panel.flags.length) {
      section.appendChild(el("p", "none", labels.no_flags));
      return section;
    }
    var list = el("ul");
    panel.flags.forEach(function (flag) {
      var item = el("li", "flag severity-" + flag.severity, flag.text);
      item.dataset.flag = flag.id;
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  }

  function drawActions(panel, labels) {
    var section = el("section", "actions");
    section.setAttribute("aria-label", labels.actions);
    section.appendChild(el("h3", null, labels.actions));
    var list = el("ol");
    panel.actions.forEach(function (action) {
      var item = el("li", "action");
      item.appendChild(el("p", "advice", action.advice));
      item.appendChild(el("p", "because", labels.because + ": " + action.because));
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  }

  function drawDeal(container, state, handlers) {
    var panel = state.panel, labels = state.labels;
    container.textContent = "";
    container.setAttribute("aria-label", labels.panel);
    if (!panel) { container.hidden = true; return; }
    container.hidden = false;
    container.dataset.dealId = String(panel.deal_id);
    var head = el("div", "deal-head");
    head.appendChild(el("h2", null, panel.company));
    var print = el("button", "print-button", labels.print);
    print.type = "button";
    print.addEventListener("click", function () { handlers.print(); });
    head.appendChild(print);
    container.appendChild(head);
    container.appendChild(drawStages(panel, labels));
    container.appendChild(drawFacts(panel, labels));
    container.appendChild(drawMap(panel, labels));
    container.appendChild(drawFlags(panel, labels));
    container.appendChild(drawActions(panel, labels));
  }

  function drawDeals(container, state, handlers) {
    var labels = state.labels;
    container.textContent = "";
    container.setAttribute("aria-label", labels.deals);
    if (!state.deals.length) { container.hidden = true; return; }
    container.hidden = false;
    container.appendChild(el("h2", null, labels.deals));
    var list = el("ul", "deal-list");
    state.deals.forEach(function (deal) {
      var item = el("li");
      var open = el("button", "deal-line");
      open.type = "button";
      open.dataset.dealId = String(deal.deal_id);
      open.setAttribute("aria-label", labels.open_deal + " " + deal.company);
      if (state.panel && state.panel.deal_id === deal.deal_id) { open.setAttribute("aria-current", "true"); }
      open.appendChild(el("span", "company", deal.company));
      open.appendChild(el("span", "summary", deal.stage + " · " + deal.risk));
      if (deal.urgent_flag) { open.appendChild(el("span", "urgent", deal.urgent_flag)); }
      if (deal.updated_at) { open.appendChild(el("span", "updated", labels.updated + " " + deal.updated_at)); }
      open.addEventListener("click", function () { handlers.open(deal); });
      item.appendChild(open);
      list.appendChild(item);
    });
    container.appendChild(list);
  }

  // One chart: a row per bar, its length the share, its numbers in words beside it.
  function drawBars(bars, title) {
    var figure = el("figure", "chart");
    figure.appendChild(el("figcaption", null, title));
    var list = el("ul", "bars");
    bars.forEach(function (bar) {
      var row = el("li", "bar-row");
      var share = bar.total ? bar.value / bar.total : 0;
      row.appendChild(el("span", "bar-label", bar.label));
      var track = el("span", "bar-track");
      var fill = el("span", "bar-fill");
      fill.style.width = Math.round(share * 100) + "%";
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", "bar-value", bar.value + "/" + bar.total));
      list.appendChild(row);
    });
    figure.appendChild(list);
    return figure;
  }

  function drawQuiz(container, state) {
    var labels = state.labels;
    container.textContent = "";
    if (!state.quiz) { container.hidden = true; return; }
    container.hidden = false;
    container.setAttribute("aria-label", labels.quiz);
    container.appendChild(el("h2", null, labels.quiz));
    container.appendChild(drawBars(state.quiz.scores, labels.quiz_scores));
    container.appendChild(drawBars(state.quiz.topics, labels.quiz_topics));
  }

  window.DealPanel = {
    draw: function (state, handlers) {
      var aside = document.getElementById("panel");
      if (!state || !state.labels) { return; }
      aside.setAttribute("aria-label", state.labels.panel);
      drawDeal(document.getElementById("deal"), state, handlers);
      drawDeals(document.getElementById("deals"), state, handlers);
      drawQuiz(document.getElementById("quiz"), state);
      aside.hidden = !state.panel && !state.deals.length && !state.quiz;
    }
  };
})();
