/*
 * agentnb's JupyterLab 4 / Notebook 7 extension: a %%agentteam cell is plain text, not Python.
 *
 * Its body is agents ("writer: You write...") and a task, not code, so Python colouring marks
 * words like "for" and "is" as keywords and quotes as unclosed strings. This plugin gives
 * each code cell whose source starts with %%agentteam the plain-text editor mode, and gives a
 * cell back the notebook's language as soon as it no longer starts so.
 *
 * It is written by hand as a prebuilt ("federated") extension, with no build step: the
 * container protocol JupyterLab loads (init with the shared modules, get a module factory),
 * and one plugin that asks for the notebook tracker and the editors' language registry. Their
 * tokens come from the application's own @jupyterlab/notebook and @jupyterlab/codemirror in the
 * share scope, so they are the tokens the application registered.
 */
var _JUPYTERLAB;
(function () {
  "use strict";

  var MAGIC = /^%%agentteam\b/;
  var PLAIN = "text/plain"; // the editor registry's language "none"
  var shared = null;

  function newest(versions) {
    return Object.keys(versions).sort(function (a, b) {
      var x = a.split(".").map(Number), y = b.split(".").map(Number);
      for (var i = 0; i < Math.max(x.length, y.length); i++) {
        if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
      }
      return 0;
    }).pop();
  }

  function sharedModule(name) {
    var versions = shared && shared[name];
    if (!versions || !Object.keys(versions).length) {
      return Promise.reject(new Error("agentnb: the application shares no " + name));
    }
    return Promise.resolve(versions[newest(versions)].get()).then(function (factory) {
      return factory();
    });
  }

  function watcher(languages) {
    return function watch(panel) {
      var notebook = panel.content;
      var seen = new WeakSet();

      function wanted(model) {
        return MAGIC.test(model.sharedModel.getSource()) ? PLAIN : notebook.codeMimetype;
      }

      // An editor loads the language of a mime type asynchronously and applies whichever load
      // ends last. Python loads slowly: plain text set before it had loaded would be undone by
      // the Python load that ends after it. So plain text is set once the notebook's own
      // language has loaded, and always last.
      function update(model) {
        if (wanted(model) !== PLAIN) {
          if (model.mimeType !== wanted(model)) {
            model.mimeType = wanted(model);
          }
          return;
        }
        languages.getLanguage(notebook.codeMimetype).then(function () {
          if (wanted(model) === PLAIN && model.mimeType !== PLAIN) {
            model.mimeType = PLAIN;
          }
        });
      }

      function trackAll() {
        var cells = notebook.model && notebook.model.cells;
        if (!cells) {
          return;
        }
        for (var i = 0; i < cells.length; i++) {
          var model = cells.get(i);
          if (model.type !== "code" || seen.has(model)) {
            continue;
          }
          seen.add(model);
          model.contentChanged.connect(update);
          model.mimeTypeChanged.connect(update); // the notebook resets it when the kernel's language arrives
          update(model);
        }
      }

      panel.context.ready.then(function () {
        trackAll();
        notebook.model.cells.changed.connect(trackAll);
      });
    };
  }

  function plugin(notebookPackage, codemirrorPackage) {
    return {
      id: "agentnb:agentteam-cells",
      description: "Shows %%agentteam cells as plain text instead of Python.",
      autoStart: true,
      requires: [notebookPackage.INotebookTracker, codemirrorPackage.IEditorLanguageRegistry],
      activate: function (app, tracker, languages) {
        var watch = watcher(languages);
        tracker.forEach(watch);
        tracker.widgetAdded.connect(function (_, panel) {
          watch(panel);
        });
      }
    };
  }

  _JUPYTERLAB = window._JUPYTERLAB = window._JUPYTERLAB || {};
  _JUPYTERLAB.agentnb = {
    init: function (shareScope) {
      shared = shareScope;
      return Promise.resolve();
    },
    get: function (request) {
      if (request !== "./extension" && request !== "./index") {
        return Promise.reject(new Error('agentnb: no module "' + request + '" in this extension'));
      }
      return Promise.all([sharedModule("@jupyterlab/notebook"), sharedModule("@jupyterlab/codemirror")]).then(
        function (packages) {
          var exports = { __esModule: true, default: [plugin(packages[0], packages[1])] };
          return function () {
            return exports;
          };
        }
      );
    }
  };
})();
