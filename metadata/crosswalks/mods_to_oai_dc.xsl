<?xml version="1.0" encoding="UTF-8"?>
<!--
  MODS master -> oai_dc, after the Library of Congress "MODS to Dublin Core Metadata Element Set Mapping"
  (version 3, 2012). XSLT 1.0 for libxslt: no document(), no imports, no extension functions. Records arrive
  valid against MODS 3.8, so the templates name the children a valid record can have.

  Where the mapping leaves a choice, the comment beside the rule says which one is made. Elements follow
  simpledc order. oai_dc.py finishes each value (whitespace normalised, empty and repeated values dropped),
  so a template here may leave a stray space or write an element with nothing in it.

  Speed matters, as this runs once per ingested record: templates write text straight into the result rather
  than build it in variables, the commonest shapes (a one-topic subject, a family-and-given name) take a short
  way, and translate(), which libxml2 runs at some 150 ns a character, is kept to short terms (roles, types).
  normalize-space() knows only XML's four whitespace characters: oai_dc.py maps a record holding other Unicode
  whitespace (a no-break space, say) again, from a copy where those are plain spaces.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:m="http://www.loc.gov/mods/v3"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    exclude-result-prefixes="m xlink">

  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:template match="/">
    <xsl:apply-templates select="m:mods"/>
  </xsl:template>

  <xsl:template match="m:mods">
    <!-- A creator or author role (text or marcrelator code), or no role at all; any other role contributes.
         The commonest cases, no role or a role that is exactly "author" or "aut", are tested first, as one
         comparison each over the node-set, before the general test that runs functions per term.
         A role's text never reaches the output, where oai_dc.py would notice other Unicode whitespace, so
         unless it is a lower-case term already, translate() makes that whitespace spaces and lowers the case. -->
    <xsl:variable name="creators" select="m:name[not(m:role/m:roleTerm) or m:role/m:roleTerm = 'author'
        or m:role/m:roleTerm = 'aut' or m:role/m:roleTerm[not(contains(., '|'))
        and (contains('|creator|author|cre|aut|', concat('|', normalize-space(), '|'))
             or contains('|creator|author|cre|aut|', concat('|', normalize-space(translate(.,
                 '&#x85;&#xA0;&#x1680;&#x2000;&#x2001;&#x2002;&#x2003;&#x2004;&#x2005;&#x2006;&#x2007;&#x2008;&#x2009;&#x200A;&#x2028;&#x2029;&#x202F;&#x205F;&#x3000;ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                 '                   abcdefghijklmnopqrstuvwxyz')), '|')))]]"/>
    <xsl:variable name="dates" select="m:originInfo/*[self::m:dateIssued or self::m:dateCreated
                                                      or self::m:dateCaptured or self::m:dateOther]"/>
    <oai_dc:dc xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">
      <xsl:for-each select="m:titleInfo">
        <dc:title><xsl:call-template name="title"/></dc:title>
      </xsl:for-each>

      <xsl:for-each select="$creators">
        <dc:creator><xsl:call-template name="name"/></dc:creator>
      </xsl:for-each>

      <!-- The topics of one subject stay one heading joined by two hyphens, as the LoC stylesheet does;
           then come the subject's names and titles. -->
      <xsl:for-each select="m:subject">
        <xsl:choose>
          <!-- The common shape, one topic, the short way. -->
          <xsl:when test="not(*[2]) and m:topic"><dc:subject><xsl:value-of select="normalize-space(m:topic)"/></dc:subject></xsl:when>
          <xsl:otherwise>
            <dc:subject>
              <xsl:for-each select="*[self::m:topic or self::m:occupation or self::m:genre][normalize-space()]">
                <xsl:if test="position() > 1">--</xsl:if>
                <xsl:value-of select="normalize-space()"/>
              </xsl:for-each>
            </dc:subject>
            <xsl:for-each select="m:name"><dc:subject><xsl:call-template name="name"/></dc:subject></xsl:for-each>
            <xsl:for-each select="m:titleInfo"><dc:subject><xsl:call-template name="title"/></dc:subject></xsl:for-each>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:for-each>
      <xsl:for-each select="m:classification"><dc:subject><xsl:value-of select="normalize-space()"/></dc:subject></xsl:for-each>

      <!-- MODS 3.6 lets a cataloguer mark an abstract as not for sharing. -->
      <xsl:for-each select="m:abstract[not(@shareable = 'no')]">
        <dc:description><xsl:value-of select="normalize-space()"/></dc:description>
      </xsl:for-each>
      <xsl:for-each select="m:tableOfContents">
        <dc:description><xsl:value-of select="normalize-space()"/></dc:description>
      </xsl:for-each>
      <!-- A note's meaning often lives in its label, so "Publication status: Accepted/In press". -->
      <xsl:for-each select="m:note">
        <dc:description>
          <xsl:if test="normalize-space(@displayLabel) and normalize-space()">
            <xsl:value-of select="concat(normalize-space(@displayLabel), ': ')"/>
          </xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </dc:description>
      </xsl:for-each>

      <xsl:for-each select="m:originInfo/m:publisher">
        <dc:publisher><xsl:value-of select="normalize-space()"/></dc:publisher>
      </xsl:for-each>

      <!-- Most records name no contributor: the union test per name runs only when one is there. -->
      <xsl:if test="count($creators) != count(m:name)">
        <xsl:for-each select="m:name[count(. | $creators) != count($creators)]">
          <dc:contributor><xsl:call-template name="name"/></dc:contributor>
        </xsl:for-each>
      </xsl:if>

      <!-- dateIssued, dateCreated, dateCaptured, dateOther of every originInfo: the key date first, then the
           others in record order; a range goes where its start goes. -->
      <xsl:for-each select="$dates[@keyDate = 'yes']">
        <dc:date><xsl:call-template name="date"/></dc:date>
      </xsl:for-each>
      <xsl:for-each select="$dates[not(@keyDate = 'yes')]">
        <dc:date><xsl:call-template name="date"/></dc:date>
      </xsl:for-each>

      <!-- typeOfResource as its DCMI Type term alone ("text" and "Text" would say one thing twice); a
           value the DCMI vocabulary has no term for is kept as catalogued. -->
      <xsl:for-each select="m:typeOfResource">
        <xsl:variable name="dcmi"><xsl:call-template name="dcmi-type"/></xsl:variable>
        <dc:type>
          <xsl:choose>
            <xsl:when test="string($dcmi)"><xsl:value-of select="$dcmi"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
          </xsl:choose>
        </dc:type>
        <xsl:if test="@collection = 'yes'"><dc:type>Collection</dc:type></xsl:if>
      </xsl:for-each>
      <xsl:for-each select="m:genre"><dc:type><xsl:value-of select="normalize-space()"/></dc:type></xsl:for-each>

      <xsl:for-each select="m:physicalDescription/*[self::m:form or self::m:extent or self::m:internetMediaType]">
        <dc:format><xsl:value-of select="normalize-space()"/></dc:format>
      </xsl:for-each>

      <xsl:for-each select="m:identifier[not(@invalid = 'yes')]">
        <dc:identifier><xsl:call-template name="identifier"/></dc:identifier>
      </xsl:for-each>
      <!-- A preview URL points at a thumbnail, not at the resource. -->
      <xsl:for-each select="m:location/m:url[not(@access = 'preview')]">
        <dc:identifier><xsl:value-of select="normalize-space()"/></dc:identifier>
      </xsl:for-each>

      <xsl:for-each select="m:relatedItem[@type = 'host']">
        <dc:source><xsl:call-template name="citation"/></dc:source>
      </xsl:for-each>

      <!-- The coded term when there is one (DC recommends ISO 639), else the written one. -->
      <xsl:for-each select="m:language">
        <dc:language>
          <xsl:choose>
            <xsl:when test="m:languageTerm[@type = 'code']">
              <xsl:value-of select="normalize-space(m:languageTerm[@type = 'code'])"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space(m:languageTerm)"/></xsl:otherwise>
          </xsl:choose>
        </dc:language>
      </xsl:for-each>

      <xsl:for-each select="m:relatedItem[not(@type = 'host')]">
        <dc:relation><xsl:call-template name="reference"/></dc:relation>
      </xsl:for-each>

      <!-- Places, periods and coordinates of every subject (one that is a single topic has none). -->
      <xsl:for-each select="m:subject[*[2] or not(m:topic)]">
        <xsl:for-each select="m:geographic">
          <dc:coverage><xsl:value-of select="normalize-space()"/></dc:coverage>
        </xsl:for-each>
        <xsl:for-each select="m:hierarchicalGeographic">
          <dc:coverage>
            <xsl:for-each select="*[normalize-space()]">
              <xsl:if test="position() > 1">--</xsl:if>
              <xsl:value-of select="normalize-space()"/>
            </xsl:for-each>
          </dc:coverage>
        </xsl:for-each>
        <xsl:for-each select="m:temporal">
          <dc:coverage>
            <xsl:choose>
              <xsl:when test="@point">
                <xsl:call-template name="range">
                  <xsl:with-param name="previous" select="preceding-sibling::m:temporal[1]"/>
                  <xsl:with-param name="next" select="following-sibling::m:temporal[1]"/>
                </xsl:call-template>
              </xsl:when>
              <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
            </xsl:choose>
          </dc:coverage>
        </xsl:for-each>
        <xsl:for-each select="m:cartographics/m:coordinates">
          <dc:coverage><xsl:value-of select="normalize-space()"/></dc:coverage>
        </xsl:for-each>
      </xsl:for-each>

      <xsl:for-each select="m:accessCondition">
        <dc:rights>
          <xsl:value-of select="normalize-space()"/>
          <xsl:if test="not(normalize-space())"><xsl:value-of select="normalize-space(@xlink:href)"/></xsl:if>
        </dc:rights>
      </xsl:for-each>
    </oai_dc:dc>
  </xsl:template>

  <!-- nonSort + title, ": " subTitle, ". " partNumber/partName, in the order the record gives them.
       A nonSort goes in front of all read before it ("The " keeps its space, "L'" has none to keep);
       the rest are appended, a subTitle or part after a mark the title already ends with. -->
  <xsl:template name="title">
    <xsl:for-each select="m:nonSort[normalize-space()]">
      <xsl:sort select="position()" data-type="number" order="descending"/>
      <xsl:variable name="text" select="normalize-space()"/>
      <xsl:value-of select="$text"/>
      <xsl:if test="not(contains(&quot;'’&quot;, substring($text, string-length($text))))"><xsl:text> </xsl:text></xsl:if>
    </xsl:for-each>
    <!-- Every other child of a valid titleInfo is a title, subTitle, partNumber or partName. -->
    <xsl:for-each select="*[not(self::m:nonSort)][normalize-space()]">
      <xsl:if test="not(self::m:title)">
        <!-- The mark is ':' before a subTitle, '.' before a part: substring(':.', 1 + not(self::m:subTitle), 1). -->
        <xsl:variable name="before" select="normalize-space(preceding-sibling::*[not(self::m:nonSort)][normalize-space()][1])"/>
        <xsl:choose>
          <xsl:when test="substring($before, string-length($before)) = substring(':.', 1 + not(self::m:subTitle), 1)">
            <xsl:text> </xsl:text>
          </xsl:when>
          <xsl:when test="$before or preceding-sibling::m:nonSort[normalize-space()]">
            <xsl:value-of select="substring(': . ', 1 + 2 * not(self::m:subTitle), 2)"/>
          </xsl:when>
        </xsl:choose>
      </xsl:if>
      <xsl:value-of select="normalize-space()"/>
    </xsl:for-each>
  </xsl:template>

  <!-- Personal: "Family, Given[, termsOfAddress][, date]", parts of one type joined by spaces; corporate and
       others: nameParts joined by ". " without doubling a final full stop; displayForm when the parts say
       nothing. Two parts of one type count as given even when empty, as they did in the Python version. -->
  <xsl:template name="name">
    <xsl:choose>
      <!-- The common shape, a family and a given name, the short way. -->
      <xsl:when test="@type = 'personal' and count(m:namePart) = 2 and normalize-space(m:namePart[@type = 'family'])
                      and normalize-space(m:namePart[@type = 'given'])">
        <xsl:value-of select="concat(normalize-space(m:namePart[@type = 'family']), ', ',
                                     normalize-space(m:namePart[@type = 'given']))"/>
      </xsl:when>
      <xsl:when test="@type = 'personal'">
        <xsl:choose>
          <xsl:when test="normalize-space(m:namePart[@type = 'family']) or normalize-space(m:namePart[@type = 'given'])
                          or m:namePart[@type = 'family'][2] or m:namePart[@type = 'given'][2]">
            <xsl:apply-templates select="m:namePart[@type = 'family']" mode="spaced"/>
            <xsl:if test="(normalize-space(m:namePart[@type = 'family']) or m:namePart[@type = 'family'][2])
                          and (normalize-space(m:namePart[@type = 'given']) or m:namePart[@type = 'given'][2])">, </xsl:if>
            <xsl:apply-templates select="m:namePart[@type = 'given']" mode="spaced"/>
            <xsl:call-template name="name-suffixes"/>
          </xsl:when>
          <xsl:when test="normalize-space(m:namePart[not(@type)]) or m:namePart[not(@type)][2]">
            <xsl:apply-templates select="m:namePart[not(@type)]" mode="spaced"/>
            <xsl:call-template name="name-suffixes"/>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="normalize-space(m:displayForm)"/></xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:when test="m:namePart[normalize-space()]">
        <xsl:for-each select="m:namePart[normalize-space()]">
          <xsl:if test="position() > 1">
            <xsl:variable name="before" select="normalize-space(preceding-sibling::m:namePart[normalize-space()][1])"/>
            <xsl:if test="substring($before, string-length($before)) != '.'">.</xsl:if>
            <xsl:text> </xsl:text>
          </xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space(m:displayForm)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="name-suffixes">
    <xsl:apply-templates select="m:namePart[@type = 'termsOfAddress']" mode="suffix"/>
    <xsl:apply-templates select="m:namePart[@type = 'date']" mode="suffix"/>
  </xsl:template>

  <xsl:template match="*" mode="spaced">
    <xsl:if test="position() > 1"><xsl:text> </xsl:text></xsl:if>
    <xsl:value-of select="normalize-space()"/>
  </xsl:template>

  <!-- Spaced too, after ", " when the parts of this type say something. -->
  <xsl:template match="*" mode="suffix">
    <xsl:choose>
      <xsl:when test="position() > 1"><xsl:text> </xsl:text></xsl:when>
      <xsl:when test="last() > 1 or normalize-space()">, </xsl:when>
    </xsl:choose>
    <xsl:value-of select="normalize-space()"/>
  </xsl:template>

  <xsl:template name="date">
    <xsl:choose>
      <xsl:when test="@point">
        <xsl:call-template name="range">
          <xsl:with-param name="previous" select="(preceding-sibling::* | ../preceding-sibling::m:originInfo/*)
              [self::m:dateIssued or self::m:dateCreated or self::m:dateCaptured or self::m:dateOther][last()]"/>
          <xsl:with-param name="next" select="(following-sibling::* | ../following-sibling::m:originInfo/*)
              [self::m:dateIssued or self::m:dateCreated or self::m:dateCaptured or self::m:dateOther][1]"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A point="start" and the point="end" right after it (same element, next in the list) become one ISO 8601
       interval "start/end"; the end then gives nothing of its own. -->
  <xsl:template name="range">
    <xsl:param name="previous"/>
    <xsl:param name="next"/>
    <xsl:choose>
      <xsl:when test="@point = 'end' and $previous/@point = 'start' and local-name($previous) = local-name()"/>
      <xsl:when test="@point = 'start' and $next/@point = 'end' and local-name($next) = local-name()">
        <xsl:value-of select="concat(normalize-space(), '/', normalize-space($next))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- typeOfResource -> DCMI Type Vocabulary, as the LoC stylesheet maps it. -->
  <xsl:template name="dcmi-type">
    <xsl:variable name="kind" select="translate(normalize-space(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"/>
    <xsl:choose>
      <xsl:when test="$kind = 'text' or $kind = 'notated music'">Text</xsl:when>
      <xsl:when test="$kind = 'cartographic'">Image</xsl:when>
      <xsl:when test="$kind = 'still image'">StillImage</xsl:when>
      <xsl:when test="$kind = 'moving image'">MovingImage</xsl:when>
      <xsl:when test="$kind = 'sound recording' or $kind = 'sound recording-musical'
                      or $kind = 'sound recording-nonmusical'">Sound</xsl:when>
      <xsl:when test="$kind = 'three dimensional object'">PhysicalObject</xsl:when>
      <xsl:when test="$kind = 'software, multimedia'">Software</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- DOI and handle as info:doi/ and info:hdl/ URIs, so harvesters can recognise them; uri, url and untyped
       values unchanged; any other type kept as a prefix ("isbn: ..."), as the LoC stylesheet does. -->
  <xsl:template name="identifier">
    <xsl:variable name="value" select="normalize-space()"/>
    <xsl:variable name="kind" select="translate(normalize-space(@type), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"/>
    <xsl:choose>
      <xsl:when test="$kind = '' or $kind = 'uri' or $kind = 'url'"><xsl:value-of select="$value"/></xsl:when>
      <xsl:when test="not($kind = 'doi' or $kind = 'hdl')"><xsl:value-of select="concat($kind, ': ', $value)"/></xsl:when>
      <xsl:when test="starts-with($value, 'info:') or starts-with($value, 'http://') or starts-with($value, 'https://')">
        <xsl:value-of select="$value"/>
      </xsl:when>
      <xsl:when test="starts-with($value, concat($kind, ':'))">
        <xsl:value-of select="concat('info:', $kind, '/', substring($value, 5))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="concat('info:', $kind, '/', $value)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- dc:relation for a related item: its title, else its identifier or URL, else its xlink:href. -->
  <xsl:template name="reference">
    <xsl:choose>
      <xsl:when test="m:titleInfo[1]/*[normalize-space()]">
        <xsl:for-each select="m:titleInfo[1]"><xsl:call-template name="title"/></xsl:for-each>
      </xsl:when>
      <xsl:when test="normalize-space(m:identifier)"><xsl:value-of select="normalize-space(m:identifier)"/></xsl:when>
      <xsl:when test="normalize-space(m:location/m:url)"><xsl:value-of select="normalize-space(m:location/m:url)"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space(@xlink:href)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- dc:source for the host: "Title, vol. V, no. N, pp. S-E, date", each piece only if the host's <part>
       gives it, in the part's order. Each piece after the title comes with its ", ", cut when there is none. -->
  <xsl:template name="citation">
    <xsl:variable name="reference"><xsl:call-template name="reference"/></xsl:variable>
    <xsl:choose>
      <xsl:when test="normalize-space($reference)">
        <xsl:value-of select="normalize-space($reference)"/>
        <xsl:apply-templates select="m:part/*" mode="citation"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="pieces"><xsl:apply-templates select="m:part/*" mode="citation"/></xsl:variable>
        <xsl:value-of select="substring($pieces, 3)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="*" mode="citation"/>

  <xsl:template match="m:date" mode="citation">
    <xsl:if test="normalize-space()"><xsl:value-of select="concat(', ', normalize-space())"/></xsl:if>
  </xsl:template>

  <!-- A detail's own caption wins over the vol./no. abbreviations. -->
  <xsl:template match="m:detail" mode="citation">
    <xsl:variable name="number" select="normalize-space(m:number)"/>
    <xsl:if test="$number">
      <xsl:text>, </xsl:text>
      <xsl:choose>
        <xsl:when test="normalize-space(m:caption)"><xsl:value-of select="normalize-space(m:caption)"/></xsl:when>
        <xsl:when test="@type = 'volume'">vol.</xsl:when>
        <xsl:when test="@type = 'issue' or @type = 'number'">no.</xsl:when>
        <xsl:when test="@type = 'part'">pt.</xsl:when>
        <xsl:when test="@type = 'chapter'">ch.</xsl:when>
      </xsl:choose>
      <xsl:value-of select="concat(' ', $number)"/>
    </xsl:if>
  </xsl:template>

  <!-- A list as given; pages as "pp. S-E", "p. S" or "N pages"; other units as "S-E unit" or "N unit". -->
  <xsl:template match="m:extent" mode="citation">
    <xsl:choose>
      <xsl:when test="normalize-space(m:list)"><xsl:value-of select="concat(', ', normalize-space(m:list))"/></xsl:when>
      <xsl:when test="@unit = 'page' or @unit = 'pages'">
        <xsl:choose>
          <xsl:when test="normalize-space(m:start) and normalize-space(m:end)">
            <xsl:value-of select="concat(', pp. ', normalize-space(m:start), '-', normalize-space(m:end))"/>
          </xsl:when>
          <xsl:when test="normalize-space(m:start)"><xsl:value-of select="concat(', p. ', normalize-space(m:start))"/></xsl:when>
          <xsl:when test="normalize-space(m:total)"><xsl:value-of select="concat(', ', normalize-space(m:total), ' pages')"/></xsl:when>
        </xsl:choose>
      </xsl:when>
      <xsl:when test="normalize-space(m:start) and normalize-space(m:end)">
        <xsl:value-of select="concat(', ', normalize-space(concat(normalize-space(m:start), '-', normalize-space(m:end), ' ', @unit)))"/>
      </xsl:when>
      <xsl:when test="normalize-space(m:start) or normalize-space(m:end)">
        <xsl:value-of select="concat(', ', normalize-space(concat(normalize-space(m:start), normalize-space(m:end), ' ', @unit)))"/>
      </xsl:when>
      <xsl:when test="normalize-space(m:total)"><xsl:value-of select="concat(', ', normalize-space(concat(m:total, ' ', @unit)))"/></xsl:when>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
