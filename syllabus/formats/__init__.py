"""Date and number formats Syllabus uses instead of Django's for some languages
(``FORMAT_MODULE_PATH``): Django's English formats are American ("Nov. 26, 2026, 2:30
p.m."); Syllabus's English keeps the international order and the 24-hour clock that its
pages used before they were translated ("26 November 2026, 14:30"). Spanish uses Django's.
"""
