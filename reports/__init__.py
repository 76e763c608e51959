"""Analysis and the annual report (数据分析及应用): one report function, from the read models
as of an instant, feeding a renderer per format (PDF, XLSX). No web layer here."""
