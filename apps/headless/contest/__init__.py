"""The ABR contest: nrdp, Shaka Player and dash.js over the same emulated links."""
