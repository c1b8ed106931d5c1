/* The admin's calendar pop-up in Buddhist-Era years while the page is in Thai.

Django's calendar.js and DateTimeShortcuts.js work in Christian years; the admin's date
inputs show day/month/BE year in Thai (kpi_portal/buddhist_era.py). This wraps three of
their functions: the caption shows the BE year, the pop-up opens at the date the input
holds (a BE year read as such), and a picked day (or a quick link) is written back with
its BE year. Loaded deferred on every admin page, after Django's scripts; English keeps
Christian years.
*/
'use strict';
(function() {
    const BE_OFFSET = 543;
    // Years from here on are BE, as the server reads them (buddhist_era.FIRST_BE_YEAR).
    const FIRST_BE_YEAR = 2400;
    if (!(document.documentElement.lang || '').startsWith('th')) {
        return;
    }
    if (!window.CalendarNamespace || !window.DateTimeShortcuts) {
        return;
    }
    const shortcuts = window.DateTimeShortcuts;

    const draw = window.CalendarNamespace.draw;
    window.CalendarNamespace.draw = function(month, year, div_id, callback, selected) {
        draw.apply(this, arguments);
        const caption = document.querySelector('#' + div_id + ' caption');
        if (caption) {
            const monthName = window.CalendarNamespace.monthsOfYear[parseInt(month) - 1];
            caption.textContent = monthName + ' ' + (parseInt(year) + BE_OFFSET);
        }
    };

    function beFormat(date) {
        const format = get_format('DATE_INPUT_FORMATS')[0];
        return date.strftime(format.replace('%Y', String(date.getFullYear() + BE_OFFSET)));
    }

    const openCalendar = shortcuts.openCalendar;
    shortcuts.openCalendar = function(num) {
        // Django reads the input's year as Christian: hand it the Christian year for the
        // moment it reads the value.
        const inp = shortcuts.calendarInputs[num];
        const typed = inp.value;
        const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(typed.trim());
        if (match && parseInt(match[3]) >= FIRST_BE_YEAR) {
            inp.value = match[1] + '/' + match[2] + '/' + (parseInt(match[3]) - BE_OFFSET);
        }
        try {
            openCalendar.apply(this, arguments);
        } finally {
            inp.value = typed;
        }
    };

    const handleCalendarCallback = shortcuts.handleCalendarCallback;
    shortcuts.handleCalendarCallback = function(num) {
        const picked = handleCalendarCallback.apply(this, arguments);
        return function(y, m, d) {
            picked(y, m, d);
            shortcuts.calendarInputs[num].value = beFormat(new Date(y, m - 1, d));
        };
    };

    const handleCalendarQuickLink = shortcuts.handleCalendarQuickLink;
    shortcuts.handleCalendarQuickLink = function(num, offset) {
        handleCalendarQuickLink.apply(this, arguments);
        const d = shortcuts.now();
        d.setDate(d.getDate() + offset);
        shortcuts.calendarInputs[num].value = beFormat(d);
    };
})();
