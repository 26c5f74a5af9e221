/* Presentation tabs (dashboard/layout.py `present_tabs`): the clicked tab's panel is shown
   beside the map (CSS reads the class `tab-<name>` of #charts) and its button is pressed. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  trygghetskarta: Object.assign({}, (window.dash_clientside || {}).trygghetskarta, {
    presentTab: function (clicks) {
      const ctx = window.dash_clientside.callback_context;
      const inputs = ctx.inputs_list[0];
      let picked = inputs[0].id.tab;
      const fired = (ctx.triggered || [])[0];
      if (ctx.triggered_id && ctx.triggered_id.tab) {
        picked = ctx.triggered_id.tab;
      } else if (fired && fired.prop_id && fired.prop_id.charAt(0) === "{") {
        picked = JSON.parse(fired.prop_id.slice(0, fired.prop_id.lastIndexOf("."))).tab;
      }
      return ["charts tab-" + picked, inputs.map(function (input) {
        return input.id.tab === picked ? "true" : "false";
      })];
    },
  }),
});
